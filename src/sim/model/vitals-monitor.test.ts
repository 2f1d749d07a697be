import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SAMPLE_SCHEMAS } from '../../protocol/bodies.ts';
import { createRng } from '../../random/rng.ts';
import type { DeviceEvent } from './events.ts';
import {
  createVitalsMonitor,
  NO_VITALS_ANOMALIES,
  type VitalsAnomalyKind,
  type VitalsModel,
  type VitalsOptionsInput,
  type VitalsSample,
} from './vitals-monitor.ts';

const START = Date.UTC(2026, 2, 10, 0, 0, 0);
const MIN = 60_000;

function monitor(seed: number, options: VitalsOptionsInput = {}): VitalsModel {
  return createVitalsMonitor({ id: `bed-${seed}`, rng: createRng(seed), startTs: START, options });
}

function run(m: VitalsModel, hours: number) {
  const out: { sample: VitalsSample; anomalies: VitalsAnomalyKind[] }[] = [];
  const events: DeviceEvent[] = [];
  for (let i = 0; i <= hours * 60; i++) {
    const r = m.step(START + i * MIN);
    out.push({ sample: r.sample, anomalies: m.snapshot().anomalies });
    events.push(...r.events);
  }
  return { out, events };
}

/** Normal ranges for a stable ward patient (well inside the NEWS2 "0 points" bands or near them). */
function outOfNormal(s: VitalsSample): string | undefined {
  if (s.hr_bpm < 45 || s.hr_bpm > 110) return `hr ${s.hr_bpm}`;
  if (s.spo2_pct > 100 || s.spo2_pct < (s.spo2_scale === 2 ? 84 : 92)) return `spo2 ${s.spo2_pct}`;
  if (s.rr_bpm < 8 || s.rr_bpm > 24) return `rr ${s.rr_bpm}`;
  if (s.sbp_mmhg < 85 || s.sbp_mmhg > 165) return `sbp ${s.sbp_mmhg}`;
  if (s.temp_c < 35.8 || s.temp_c > 38) return `temp ${s.temp_c}`;
  return undefined;
}

describe('vitals monitor', () => {
  it('produces identical readings for the same seed', () => {
    assert.deepEqual(run(monitor(1), 6), run(monitor(1), 6));
    assert.notDeepEqual(run(monitor(2), 1).out, run(monitor(1), 1).out);
  });

  it('stays within physiological bounds for 48 h when no anomaly is configured', () => {
    for (let seed = 0; seed < 30; seed++) {
      const { out } = run(monitor(seed, { anomalies: NO_VITALS_ANOMALIES }), 48);
      for (const { sample, anomalies } of out) {
        assert.deepEqual(anomalies, []);
        assert.equal(outOfNormal(sample), undefined, `seed ${seed}: ${outOfNormal(sample)}`);
      }
      // slow drift: the heart rate wanders but does not jump between minutes
      for (let i = 1; i < out.length; i++) {
        assert.ok(Math.abs(out[i]!.sample.hr_bpm - out[i - 1]!.sample.hr_bpm) <= 10);
      }
    }
  });

  it('leaves normal bounds only during an anomaly, and every kind of anomaly shows up', () => {
    const rates = {
      desaturationPerHour: 0.3,
      tachycardiaPerHour: 0.3,
      feverPerHour: 0.1,
      artefactPerHour: 0.5,
    };
    const seen = new Set<VitalsAnomalyKind>();
    let abnormal = 0;
    for (let seed = 0; seed < 5; seed++) {
      const { out } = run(monitor(seed, { anomalies: rates }), 48);
      for (const { sample, anomalies } of out) {
        for (const a of anomalies) seen.add(a);
        const why = outOfNormal(sample);
        if (why) {
          abnormal++;
          assert.ok(anomalies.length > 0, `seed ${seed}: ${why} outside any anomaly`);
        }
      }
    }
    assert.deepEqual([...seen].sort(), ['artefact', 'desaturation', 'fever', 'tachycardia']);
    assert.ok(abnormal > 50);
  });

  it('shows a desaturation as a fall in SpO2 with a faster pulse and breathing', () => {
    const m = monitor(3, { anomalies: { ...NO_VITALS_ANOMALIES, desaturationPerHour: 1 } });
    const { out } = run(m, 12);
    const during = out.filter((o) => o.anomalies.includes('desaturation'));
    const calm = out.filter((o) => o.anomalies.length === 0);
    assert.ok(during.length > 0 && calm.length > 0);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const minSpo2 = Math.min(...during.map((o) => o.sample.spo2_pct));
    assert.ok(minSpo2 < mean(calm.map((o) => o.sample.spo2_pct)) - 4, `min spo2 ${minSpo2}`);
    assert.ok(mean(during.map((o) => o.sample.rr_bpm)) > mean(calm.map((o) => o.sample.rr_bpm)));
  });

  it('uses a fixed baseline when given one', () => {
    const m = monitor(4, {
      anomalies: NO_VITALS_ANOMALIES,
      baseline: { spo2_scale: 2, spo2_pct: 90, on_oxygen: true, consciousness: 'A' },
    });
    const { out } = run(m, 4);
    for (const { sample } of out) {
      assert.equal(sample.spo2_scale, 2);
      assert.equal(sample.on_oxygen, true);
      assert.ok(sample.spo2_pct >= 87 && sample.spo2_pct <= 93, `${sample.spo2_pct}`);
    }
  });

  it('warns of a low battery and is put on charge', () => {
    const { out, events } = run(monitor(5, { batteryDrainPctPerHour: 20 }), 12);
    const low = events.filter((e) => e.type === 'battery_low');
    assert.ok(low.length >= 1);
    const i = out.findIndex((o) => o.sample.ts === low[0]!.ts);
    assert.ok(
      out.slice(i).some((o) => o.sample.bat_pct === 100),
      'recharged',
    );
    assert.ok(out.every((o) => o.sample.bat_pct >= 0 && o.sample.bat_pct <= 100));
  });

  it('emits samples that pass the patient-vitals body schema', () => {
    const { out } = run(monitor(6, { anomalies: { artefactPerHour: 5, feverPerHour: 1 } }), 24);
    for (const { sample } of out) {
      assert.ok(SAMPLE_SCHEMAS['patient-vitals'].safeParse(sample).success, JSON.stringify(sample));
    }
  });
});
