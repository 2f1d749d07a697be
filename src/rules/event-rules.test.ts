import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetProfile } from '../coldchain/profiles.ts';
import { readingFromEvent } from './event-reading.ts';
import type { Alarm, AlarmTransition, Reading } from './rule.ts';
import { createRuleEngine } from './rule-engine.ts';
import { coldChainRules } from './rule-sets.ts';
import { at, brief, HOUR, ingestShuffled, MIN, ofRule, reading } from './rules.fixture.ts';

const fridge = presetProfile('refrigerated');
const engine = () => createRuleEngine({ rules: coldChainRules(fridge) });

/** A sample every 5 min in [from, to] minutes, in range, with no door or power field. */
function samples(from: number, to: number): Reading[] {
  const out: Reading[] = [];
  for (let m = from; m <= to; m += 5) out.push(reading(m, { temp_c: 5 }));
  return out;
}

function event(body: { type: string } & Record<string, unknown>, minute: number): Reading {
  const r = readingFromEvent({ ...body, ts: at(minute) }, at(minute));
  assert.ok(r);
  return r;
}

/** The alarms of one rule as they finally stand (last transition per id, then the open ones). */
function standing(ts: readonly AlarmTransition[], open: readonly Alarm[], rule: string): string[] {
  const byId = new Map<string, Alarm>();
  for (const a of [...ts.map((t) => t.alarm), ...open]) if (a.rule === rule) byId.set(a.id, a);
  return [...byId.values()]
    .filter((a) => !a.disproved)
    .map(
      (a) => `${a.state} start=${a.startedAt} raised=${a.raisedAt} resolved=${a.resolvedAt} peak=${a.peak}`,
    )
    .sort();
}

describe('door and power alarms from events', () => {
  it('raises a door alarm for an 8-minute opening told only by its open and closed events', () => {
    // samples every 5 min carry no door field; the door opens at 11 and closes at 19
    const rs = [
      ...samples(0, 40),
      event({ type: 'door', state: 'open' }, 11),
      event({ type: 'door', state: 'closed' }, 19),
    ];
    const out = ofRule(engine().ingest('truck-1', rs, at(40)).transitions, 'door-open');
    // judged on its end: open at 11, closed at 19, no sample between 16 and 19
    assert.deepEqual(brief(out), [
      'opened door-open start=11 raised=19 resolved=- late',
      'resolved door-open start=11 raised=19 resolved=19 late',
    ]);
    assert.equal(out[1]?.alarm.peak, 8 * MIN);
    assert.equal(out[1]?.alarm.message, 'Door open for 8 min (limit 5 min)');
  });

  it('raises no door alarm for an opening of exactly the limit', () => {
    const rs = [
      ...samples(0, 40),
      event({ type: 'door', state: 'open' }, 11),
      event({ type: 'door', state: 'closed' }, 16),
    ];
    assert.deepEqual(ofRule(engine().ingest('truck-1', rs, at(40)).transitions, 'door-open'), []);
  });

  it('raises a no-power alarm for 24 h 30 min on battery told only by power events', () => {
    // on battery the logger saves power: a sample every 6 h, none between 24 h and 24 h 30 min
    const sparse = [0, 360, 720, 1080, 1440, 1800].map((m) => reading(m, { temp_c: 5 }));
    const rs = [
      ...sparse,
      event({ type: 'power', source: 'battery' }, 60),
      event({ type: 'power', source: 'mains' }, 60 + 24 * 60 + 30),
    ];
    const out = ofRule(engine().ingest('truck-1', rs, at(1800)).transitions, 'no-power');
    assert.equal(out.length, 2);
    const done = out[1]?.alarm;
    assert.deepEqual(
      [done?.state, done?.startedAt, done?.raisedAt, done?.resolvedAt, done?.peak],
      ['resolved', at(60), at(1530), at(1530), 24 * HOUR + 30 * MIN],
    );
    assert.equal(
      done?.message,
      'No mains power (battery) for 24 h 30 min, including 24 h 30 min without data (limit 24 h 00 min)',
    );
  });

  it('states the same facts when the events arrive after the samples as separate messages', () => {
    const e = engine();
    e.ingest('truck-1', samples(0, 40), at(40));
    const first = e.ingest('truck-1', [event({ type: 'door', state: 'open' }, 11)], at(41)).transitions;
    // seen alone, the opening lasts until the newest sample: an alarm that is still running
    assert.deepEqual(brief(ofRule(first, 'door-open')), [
      'opened door-open start=11 raised=20 resolved=- late',
    ]);
    assert.match(first[0]?.alarm.message ?? '', /so far/);
    const second = e.ingest('truck-1', [event({ type: 'door', state: 'closed' }, 19)], at(42)).transitions;
    const out = ofRule(second, 'door-open');
    // the closing event corrects it: raised and resolved at 19, an 8-minute opening
    assert.deepEqual(brief(out), ['resolved door-open start=11 raised=19 resolved=19 late']);
    const a = out[0]?.alarm as Alarm;
    assert.ok((a.resolvedAt as number) >= a.raisedAt, 'resolved no earlier than raised');
    assert.equal(a.message, 'Door open for 8 min (limit 5 min)');
    assert.equal(a.peak, 8 * MIN);
  });

  it('ends with the same door and power alarms for 40 random arrival orders and batchings', () => {
    // samples every 5 min without door or power fields; every fact about them comes from events
    const rs: Reading[] = samples(0, 4000);
    const doors: [number, number][] = [
      [11, 19], // 8 min: alarm
      [100, 103], // 3 min: none
      [300, 305], // exactly 5 min: none
      [600, 651], // 51 min: alarm
      [1000, 1005.5], // 5 min 30 s: alarm
      [2000, 2004], // none
    ];
    for (const [o, c] of doors)
      rs.push(event({ type: 'door', state: 'open' }, o), event({ type: 'door', state: 'closed' }, c));
    const power: [number, number, string][] = [
      [50, 50 + 24 * 60 + 30, 'battery'], // 24 h 30 min: alarm
      [1600, 1660, 'backup'], // 1 h: none
      [2500, 2500 + 24 * 60 + 1, 'battery'], // 24 h 01 min: alarm
    ];
    for (const [from, to, source] of power)
      rs.push(event({ type: 'power', source }, from), event({ type: 'power', source: 'mains' }, to));
    const now = at(4000);
    const reference = engine();
    const refOut = reference.ingest('s', rs, now).transitions;
    const expected = {
      door: standing(refOut, reference.openAlarms(), 'door-open'),
      power: standing(refOut, reference.openAlarms(), 'no-power'),
    };
    assert.equal(expected.door.length, 3);
    assert.equal(expected.power.length, 2);
    for (let seed = 1; seed <= 40; seed++) {
      const e = engine();
      const size = 1 + ((seed * 7) % 40);
      const all = ingestShuffled(e, 's', rs, { seed, size, now });
      const got = {
        door: standing(all, e.openAlarms(), 'door-open'),
        power: standing(all, e.openAlarms(), 'no-power'),
      };
      assert.deepEqual(got, expected, `seed ${seed}, batches of ${size}`);
      for (const t of all) {
        const a = t.alarm;
        const eventDriven = a.rule === 'door-open' || a.rule === 'no-power';
        if (eventDriven && a.resolvedAt !== undefined && !a.disproved)
          assert.ok(a.resolvedAt >= a.raisedAt, `seed ${seed}: ${a.id} resolved before it was raised`);
      }
    }
  });
});
