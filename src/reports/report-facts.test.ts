import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationText, humanUtc } from './format.ts';
import { alarmCountText, readableDetail } from './report-facts.ts';
import { syntheticReportInput } from './report-input.fixture.ts';

describe('report facts in words', () => {
  const input = syntheticReportInput({ days: 1, stepMs: 10 * 60_000 });
  const [heat, gap] = input.alarms as [(typeof input.alarms)[number], (typeof input.alarms)[number]];

  it('counts alarms as "0 alarms", never "0 alarms, all acknowledged"', () => {
    assert.equal(alarmCountText([]), '0 alarms');
    assert.equal(alarmCountText([heat]), '1 alarm (1 critical), acknowledged');
    assert.equal(alarmCountText([heat, gap]), '2 alarms (1 critical), 1 not acknowledged');
    const disproved = { ...gap, disproved: { at: 0, reason: 'late data' } };
    assert.equal(alarmCountText([disproved]), '1 alarm (1 disproved), 1 not acknowledged');
    assert.equal(alarmCountText([{ ...gap, ack: heat.ack }]), '1 alarm, acknowledged');
  });

  it('turns alarm ids and epoch-millisecond values of custody details into what a reader knows', () => {
    const detail = `alarm=${heat.id} since=1763963400000 lot=4006381333931 note=GTIN 4006381333931`;
    assert.equal(
      readableDetail(detail, input.alarms),
      'alarm=A1 (heat) since=2025-11-24T05:50:00.000Z lot=4006381333931 note=GTIN 4006381333931',
    );
  });

  it('writes times to the second and short durations with their seconds', () => {
    assert.equal(humanUtc(Date.UTC(2026, 10, 5, 10, 0, 17)), '2026-11-05 10:00:17 UTC');
    assert.equal(durationText(330_000), '5 min 30 s');
    assert.equal(durationText(45_000), '45 s');
    assert.equal(durationText(45 * 60_000), '45 min');
    assert.equal(durationText(11 * 3_600_000 + 18 * 60_000 + 20_000), '11 h 18 min');
  });
});
