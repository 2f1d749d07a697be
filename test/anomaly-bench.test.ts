/**
 * The anomaly benchmark runs, on a tiny seeded slice. Quality is the benchmark's business
 * (`npm run bench -- --only=anomaly`): here only what cannot be noisy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runTable } from '../bench/anomaly/anomaly-bench.ts';
import { benchRules, DETECTORS, runRules } from '../bench/anomaly/detectors.ts';
import { faultKinds, injectFaults } from '../bench/anomaly/faults.ts';
import { toReadings } from '../bench/anomaly/readings.ts';
import { runProfile } from '../bench/anomaly/run-profile.ts';
import { generateTrace } from '../bench/anomaly/traces.ts';
import { renderVitalsRules, runVitalsRulesBench } from '../bench/anomaly/vitals-rules-bench.ts';

const SEED = 'vigil-anomaly-test';

describe('anomaly benchmark', () => {
  it('runs every detector on a seeded slice of each profile and prints its table', () => {
    for (const profile of ['truck', 'probe', 'vitals'] as const) {
      const run = runProfile({
        profile,
        devices: [0],
        days: 2,
        stepMs: 30_000,
        seed: SEED,
        detectors: DETECTORS,
        beforeDevices: 1,
      });
      for (const d of DETECTORS) {
        const s = run.scores[d];
        assert.ok(s, `${profile} ${d}`);
        assert.equal(s.normalWeeks, 2 / 7);
        // the first day is history, the second holds two faults
        const faults = Object.values(s.byKind).reduce((n, k) => n + (k?.faults ?? 0), 0);
        assert.equal(faults, 2, `${profile} ${d}`);
      }
      const table = runTable(run);
      assert.match(table, new RegExp(`^\\| ${profile} @ 30 s \\| before \\(forest\\) \\| MAD \\| rules \\|`));
      assert.match(table, /\| false alarms \/ device-week \|/);
    }
  });

  it('is reproducible: the same seed gives the same faults and the same data', () => {
    const a = injectFaults(
      generateTrace('probe', 3, { devices: 0, days: 2, stepMs: 60_000, seed: SEED }),
      SEED,
    );
    const b = injectFaults(
      generateTrace('probe', 3, { devices: 0, days: 2, stepMs: 60_000, seed: SEED }),
      SEED,
    );
    assert.deepEqual(a.labels, b.labels);
    assert.deepEqual(Array.from(a.trace.temp), Array.from(b.trace.temp));
  });

  it('the flat-line rule catches an injected stuck series', () => {
    // stuck is the first kind of some device's shuffled order: find one and check every stuck fault
    let checked = 0;
    for (let i = 0; i < 12 && checked < 2; i++) {
      const normal = generateTrace('truck', i, { devices: 0, days: 2, stepMs: 10_000, seed: SEED });
      const { trace, labels } = injectFaults(normal, SEED);
      const stuck = labels.filter((l) => l.kind === 'stuck');
      if (stuck.length === 0) continue;
      const flat = runRules(benchRules(trace), toReadings(trace)).filter((a) => a.rule === 'flat-line');
      for (const l of stuck) {
        const hit = flat.find((a) => a.raisedAt >= l.startTs && a.raisedAt <= l.endTs);
        assert.ok(hit, `${trace.id}: stuck at ${l.startTs} not caught`);
        assert.ok(hit.raisedAt - l.startTs <= 3 * 60_000 + 10_000);
        assert.match(
          hit.message,
          /^Sensor reads a constant -?\d+\.\d\d °C for (\d+ h )?\d+ min( \d+ s)?: stuck or disconnected$/,
        );
        checked++;
      }
    }
    assert.ok(checked >= 1);
    assert.ok(faultKinds('truck').includes('stuck'));
  });

  it('the vitals rules benchmark runs on a seeded slice, before and after, and prints its tables', () => {
    const r = runVitalsRulesBench({ patients: 1, days: 2, seed: SEED, cadencesMs: [60_000] }, () => {});
    const c = r.cadences[0];
    assert.ok(c);
    assert.equal(c.patientWeeks, 2 / 7);
    // the first day is history, the second holds two faults; clinical episodes come as they come
    assert.equal(
      ['hr-jump', 'spo2-decline', 'rr-hr-decoupling', 'flat-line'].reduce(
        (n, k) => n + (c.windows[k]?.n ?? 0),
        0,
      ),
      2,
    );
    const text = renderVitalsRules(r);
    assert.match(text, /^\| rules \| cadence \| alarms \/ patient-week \| by rule \|$/m);
    assert.match(text, /^\| before \| 60 s \| \d+\.\d\d \|/m);
    assert.match(text, /^\| after \| 60 s \| \d+\.\d\d \|/m);
    assert.match(text, /^\| vitals rules @ 60 s \| windows \| chart-alarmable \|/m);
  });
});
