/**
 * The demo, compressed in time: sim-truck-001 as `vigil start --demo` runs it (the vaccine-truck
 * model with its forced cooling failure, default incidents, a sample every 2 s) for three hours of
 * simulated time in well under a second each, judged by the rules its auto-created shipment gets
 * (the refrigerated preset). The warning tier must fire within about 20 minutes of the failure's
 * start, the critical tier later (README, "What the demo shows").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetProfile } from '../src/coldchain/profiles.ts';
import { readingFromEvent } from '../src/rules/event-reading.ts';
import type { Alarm, Reading } from '../src/rules/rule.ts';
import { createRuleEngine } from '../src/rules/rule-engine.ts';
import { coldChainRules } from '../src/rules/rule-sets.ts';
import { createModel } from '../src/sim/model/index.ts';

const MIN = 60_000;
const START = Date.UTC(2026, 5, 1, 8, 0, 0);
const SAMPLE_MS = 2000; // the demo fleet's 0.5 readings per second

/** Runs one demo truck for `hours` of simulated time; returns the failure start and the first alarm of each rule. */
function runDemo(seed: string, hours: number) {
  const model = createModel('vaccine-transport', {
    id: 'sim-truck-001',
    seed,
    startTs: START,
    forceExcursion: true,
  });
  const engine = createRuleEngine({ rules: coldChainRules(presetProfile('refrigerated')) });
  let failedAt: number | undefined;
  const first = new Map<string, Alarm>();
  const opened = new Map<string, number>();
  for (let ts = START; ts <= START + hours * 60 * MIN; ts += SAMPLE_MS) {
    const step = model.step(ts);
    const readings: Reading[] = [{ ts, data: step.sample }];
    for (const ev of step.events) {
      if (ev.type === 'cooling' && ev.state === 'failed') failedAt ??= ev.ts;
      const r = readingFromEvent(ev as unknown as { type: string }, ts);
      if (r) readings.push(r);
    }
    // each sample judged as it arrives, the clock at its own time (a connected logger)
    for (const t of engine.ingest('sim-truck-001', readings, ts).transitions) {
      if (t.type !== 'opened') continue;
      if (!first.has(t.alarm.rule)) first.set(t.alarm.rule, t.alarm);
      opened.set(t.alarm.rule, (opened.get(t.alarm.rule) ?? 0) + 1);
    }
  }
  assert.ok(failedAt !== undefined, 'the forced cooling failure happened');
  return { failedAt, first, opened };
}

describe('the demo: sim-truck-001’s cooling failure, compressed in time', () => {
  for (const seed of ['demo-1', 'demo-2', 'demo-3', 'demo-4', 'demo-5']) {
    it(`warns within about 20 min of the failure and goes critical later (seed ${seed})`, () => {
      const { failedAt, first, opened } = runDemo(`${seed}:sim-truck-001`, 3);
      const warning = first.get('warning:above');
      const critical = first.get('critical:above');
      assert.ok(warning && critical, [...first.keys()].join(', '));
      const warnMin = (warning.raisedAt - failedAt) / MIN;
      const critMin = (critical.raisedAt - failedAt) / MIN;
      assert.ok(warnMin > 15 && warnMin <= 21, `warning ${warnMin.toFixed(1)} min after the failure`);
      assert.ok(
        critMin > warnMin + 44 && critMin <= 70,
        `critical ${critMin.toFixed(1)} min after the failure`,
      );
      assert.equal(warning.severity, 'warning');
      assert.equal(critical.severity, 'critical');
      assert.ok(!warning.detectedLate && !critical.detectedLate, 'raised live, not late');
      // one excursion: sensor noise at the limit does not raise the tier alarms again and again
      assert.equal(opened.get('warning:above'), 1);
      assert.equal(opened.get('critical:above'), 1);
      assert.ok(!first.has('heat'), 'the regulatory 10 h heat alarm is not reached in 3 h');
    });
  }
});
