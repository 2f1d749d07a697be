import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEventBody, SAMPLE_SCHEMAS } from '../../protocol/bodies.ts';
import { createRng } from '../../random/rng.ts';
import type { DeviceEvent } from './events.ts';
import {
  createProbe,
  NO_PROBE_INCIDENTS,
  type ProbeKind,
  type ProbeModel,
  type ProbeOptionsInput,
  type ProbeSample,
  type ProbeSnapshot,
} from './temperature-probe.ts';

const START = Date.UTC(2026, 6, 1, 0, 0, 0);
const MIN = 60_000;

function probe(seed: number, kind: ProbeKind, options: ProbeOptionsInput = {}): ProbeModel {
  return createProbe({
    id: `probe-${seed}`,
    rng: createRng(seed),
    startTs: START,
    options: { kind, ...options },
  });
}

function run(p: ProbeModel, hours: number) {
  const samples: ProbeSample[] = [];
  const snaps: ProbeSnapshot[] = [];
  const events: DeviceEvent[] = [];
  for (let i = 0; i <= hours * 60; i++) {
    const r = p.step(START + i * MIN);
    samples.push(r.sample);
    snaps.push(p.snapshot());
    events.push(...r.events);
  }
  return { samples, snaps, events };
}

const starts = (snaps: ProbeSnapshot[]) =>
  snaps.filter((s, i) => i > 0 && s.compressorOn && !snaps[i - 1]!.compressorOn).length;

describe('temperature probe', () => {
  it('produces identical readings for the same seed', () => {
    assert.deepEqual(run(probe(1, 'fridge'), 6), run(probe(1, 'fridge'), 6));
    assert.notDeepEqual(run(probe(2, 'fridge'), 1).samples, run(probe(1, 'fridge'), 1).samples);
  });

  it('cycles the fridge compressor in a sawtooth that stays within 2–8 °C', () => {
    for (let seed = 0; seed < 10; seed++) {
      const { samples, snaps } = run(probe(seed, 'fridge', { incidents: NO_PROBE_INCIDENTS }), 24);
      for (const s of samples) assert.ok(s.temp_c >= 2 && s.temp_c <= 8, `seed ${seed}: ${s.temp_c}`);
      const cycles = starts(snaps);
      assert.ok(cycles >= 15 && cycles <= 60, `${cycles} compressor starts a day`);
      // the cabinet warms while the compressor rests and cools while it runs
      for (let i = 1; i < snaps.length; i++) {
        const [a, b] = [snaps[i - 1]!, snaps[i]!];
        if (a.compressorOn && b.compressorOn) assert.ok(b.airTempC < a.airTempC);
        if (!a.compressorOn && !b.compressorOn) assert.ok(b.airTempC > a.airTempC);
      }
      assert.ok(samples.every((s) => s.rh_pct !== undefined && s.power === 'mains'));
    }
  });

  it('defrosts a freezer every 8 hours, warming it briefly', () => {
    const { samples, snaps } = run(probe(3, 'freezer', { incidents: NO_PROBE_INCIDENTS }), 24);
    const defrosts = snaps.filter((s, i) => i > 0 && s.defrosting && !snaps[i - 1]!.defrosting).length;
    assert.ok(defrosts >= 2 && defrosts <= 4, `${defrosts} defrosts`);
    const temps = samples.map((s) => s.temp_c);
    assert.ok(Math.max(...temps) > -16 && Math.max(...temps) < -5);
    // outside a defrost and the 30 min pull-down after it, the freezer holds its band
    const normal = samples.filter(
      (_, i) => !snaps.slice(Math.max(0, i - 30), i + 1).some((s) => s.defrosting),
    );
    for (const s of normal) assert.ok(s.temp_c >= -25 && s.temp_c <= -15, `${s.temp_c}`);
    assert.ok(starts(snaps) >= 10);
    assert.ok(samples.every((s) => s.rh_pct === undefined));
  });

  it('keeps an ultra-low freezer near −80 °C', () => {
    const { samples, snaps } = run(probe(4, 'ultra-low', { incidents: NO_PROBE_INCIDENTS }), 24);
    for (const s of samples) assert.ok(s.temp_c >= -85 && s.temp_c <= -75, `${s.temp_c}`);
    assert.ok(starts(snaps) >= 5);
  });

  it('spikes when the door is opened and recovers after it closes', () => {
    const { samples, snaps, events } = run(
      probe(5, 'fridge', { incidents: { ...NO_PROBE_INCIDENTS, doorOpenPerHour: 2 } }),
      24,
    );
    const doors = events.filter((e) => e.type === 'door');
    assert.ok(doors.length >= 10);
    const opened = snaps.findIndex((s) => s.door === 'open');
    assert.ok(snaps[opened]!.airTempC > snaps[opened - 1]!.airTempC);
    assert.ok(Math.max(...samples.map((s) => s.temp_c)) > 7);
    assert.ok(samples.at(-1)!.temp_c < 8 || snaps.at(-1)!.door === 'open');
  });

  it('stops the compressor on a power cut without backup and warms up', () => {
    const p = probe(6, 'fridge', {
      backupShare: 0,
      incidents: { ...NO_PROBE_INCIDENTS, powerOutagePerHour: 0.3 },
    });
    const { samples, snaps, events } = run(p, 48);
    assert.ok(events.some((e) => e.type === 'power' && e.source === 'battery'));
    snaps.forEach((s, i) => {
      if (s.power === 'battery') {
        assert.equal(s.compressorOn, false);
        assert.equal(samples[i]!.power, 'battery');
      }
    });
    for (const e of events) parseEventBody(Buffer.from(JSON.stringify(e)));
  });

  it('emits samples that pass the temperature-probe body schema', () => {
    for (const kind of ['fridge', 'freezer', 'ultra-low'] as const) {
      const { samples } = run(probe(7, kind), 12);
      for (const s of samples)
        assert.ok(SAMPLE_SCHEMAS['temperature-probe'].safeParse(s).success, JSON.stringify(s));
    }
  });
});
