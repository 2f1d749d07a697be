import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetProfile } from '../coldchain/profiles.ts';
import { evaluateAll } from './evaluate-all.ts';
import type { Reading } from './rule.ts';
import { at, brief, MIN, T0, temps } from './rules.fixture.ts';

const fridge = presetProfile('refrigerated');

describe('evaluateAll', () => {
  it('evaluates a 30-day, 1-minute series (43,200 readings) with every vaccine rule', () => {
    const rs: Reading[] = [];
    for (let m = 0; m < 43_200; m++) {
      // a 12 h cooling failure on day 10, one 7-minute door opening on day 20
      const hot = m >= 14_400 && m < 14_400 + 720;
      rs.push({
        ts: at(m),
        data: {
          temp_c: hot ? 9.2 : 5 + 0.5 * Math.sin(m / 90),
          rh_pct: 50,
          lat: 52,
          lon: 4.9,
          bat_pct: 90,
          power: 'mains',
          door: m >= 28_800 && m < 28_807 ? 'open' : 'closed',
        },
      });
    }
    const { alarms, summary } = evaluateAll(rs, fridge);
    assert.deepEqual(
      alarms.map(
        (a) =>
          `${a.rule} ${(a.startedAt - T0) / MIN} ${(a.raisedAt - T0) / MIN} ${((a.resolvedAt ?? 0) - T0) / MIN}`,
      ),
      [
        'warning:above 14400 14415 15120',
        'critical:above 14400 14460 15120',
        'heat 14400 15000 15120',
        'door-open 28800 28806 28807',
      ],
    );
    assert.equal(summary.readingCount, 43_200);
    assert.equal(summary.timeAboveMs, 720 * MIN);
    assert.equal(summary.excursions.length, 1);
    assert.ok((summary.mktC as number) > 5 && (summary.mktC as number) < 5.2);
  });

  it('replays arrivals by receivedAt, so alarms found in backfill are marked detected late', () => {
    const live = temps(0, 100, 5).map((r) => ({ ...r, receivedAt: r.ts, backfill: false }));
    // the logger was offline from minute 101 and delivers its buffer at minute 800
    const buffered = temps(101, 800, 9).map((r) => ({ ...r, receivedAt: at(800), backfill: true }));
    const after = temps(801, 900, 5).map((r) => ({ ...r, receivedAt: r.ts, backfill: false }));
    const { alarms, transitions } = evaluateAll([...after, ...buffered, ...live], fridge);
    assert.deepEqual(
      alarms.map((a) => `${a.rule} ${a.state} late=${a.detectedLate}`),
      [
        'warning:above resolved late=true',
        'data-gap resolved late=false',
        'critical:above resolved late=true',
        'heat resolved late=true',
      ],
    );
    // the clock noticed the silence, and the backfill closed the gap at its first reading
    assert.deepEqual(brief(transitions.filter((t) => t.alarm.rule === 'data-gap')), [
      'opened data-gap start=100 raised=130 resolved=-',
      'resolved data-gap start=100 raised=130 resolved=101',
    ]);
  });

  it('evaluates in one pass at the newest reading when arrival times are unknown', () => {
    const { alarms } = evaluateAll(temps(0, 700, 9), fridge);
    assert.deepEqual(
      alarms.map((a) => [a.rule, a.state, a.detectedLate]),
      [
        ['warning:above', 'open', true],
        ['critical:above', 'open', true],
        ['heat', 'open', true],
      ],
    );
  });
});
