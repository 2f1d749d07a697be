import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetProfile } from '../../coldchain/profiles.ts';
import { createRng, gaussian, hashSeed } from '../../random/rng.ts';
import type { AlarmTransition, Reading } from '../rule.ts';
import { createDeviceMonitor, type DeviceKind } from './device-monitor.ts';
import type { StatisticalMonitor } from './statistical-monitor.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);
const fridge = presetProfile('refrigerated');

function monitor(kind: DeviceKind, subject = 'dev-1'): StatisticalMonitor {
  return createDeviceMonitor({
    subject,
    kind,
    profile: fridge,
    rngFor: (m) => createRng(hashSeed(`${subject}/${m}`)),
  });
}

/** A truck's logger every 10 s: 5 °C, 0.15 °C noise, plus `extra(minute)`. */
function logger(
  fromMin: number,
  toMin: number,
  seed: string,
  extra: (m: number) => number = () => 0,
): Reading[] {
  const rng = createRng(seed);
  const out: Reading[] = [];
  for (let s = fromMin * 60; s < toMin * 60; s += 10) {
    const m = s / 60;
    out.push({
      ts: T0 + s * 1000,
      data: { temp_c: Math.round((5 + gaussian(rng, 0, 0.15) + extra(m)) * 100) / 100 },
    });
  }
  return out;
}

/** A patient every 10 s with the given heart-rate offset per minute. */
function patient(
  fromMin: number,
  toMin: number,
  seed: string,
  hrOffset: (m: number) => number = () => 0,
): Reading[] {
  const rng = createRng(seed);
  const out: Reading[] = [];
  for (let s = fromMin * 60; s < toMin * 60; s += 10) {
    const m = s / 60;
    out.push({
      ts: T0 + s * 1000,
      data: {
        hr_bpm: Math.round(74 + 3 * Math.sin(m / 40) + gaussian(rng, 0, 1.5) + hrOffset(m)),
        spo2_pct: Math.round(97 + gaussian(rng, 0, 0.4)),
        rr_bpm: Math.round(15 + gaussian(rng, 0, 0.7)),
        sbp_mmhg: Math.round(122 + gaussian(rng, 0, 2)),
        temp_c: Math.round((36.8 + gaussian(rng, 0, 0.04)) * 10) / 10,
        on_oxygen: false,
        consciousness: 'A',
        spo2_scale: 1,
      },
    });
  }
  return out;
}

function feed(m: StatisticalMonitor, rs: readonly Reading[]): AlarmTransition[] {
  const out: AlarmTransition[] = [];
  for (const r of rs) out.push(...m.observe(r, r.ts));
  return out;
}

describe('statistical monitor', () => {
  it('is quiet on normal data, and silent while it warms up', () => {
    const m = monitor('vaccine-transport');
    const early = feed(m, logger(0, 100, 'quiet-a'));
    assert.equal(m.warm, false);
    assert.deepEqual(early, []);
    assert.deepEqual(feed(m, logger(100, 12 * 60, 'quiet-b')), []);
    assert.equal(m.warm, true);
  });

  it('turns a cooling failure inside 2-8 °C into one alarm that says what it saw, resolved after the hold', () => {
    const m = monitor('vaccine-transport');
    feed(m, logger(0, 180, 'fail-a'));
    const rise = (x: number) => (x < 200 ? 0.12 * x - 0.12 * 180 : 0.12 * 20);
    const ts = feed(
      m,
      logger(180, 320, 'fail-b', (x) => (x < 200 ? rise(x) : 0)),
    );
    const opened = ts.filter((t) => t.type === 'opened');
    assert.equal(opened.length, 1);
    const a = opened[0]?.alarm;
    assert.equal(a?.kind, 'statistical');
    assert.match(
      a?.message ?? '',
      /^Temperature rising 0\.1\d °C\/min \(6-hour range .* °C\/min\), now [5-7]\.\d °C; no range limit crossed$/,
    );
    assert.ok((a?.raisedAt ?? 0) >= T0 + 185 * MIN && (a?.raisedAt ?? 0) <= T0 + 195 * MIN);
    // the drop back is part of the same episode; it resolves once quiet for the hold
    assert.deepEqual(
      ts.map((t) => t.type).filter((t) => t !== 'updated'),
      ['opened', 'resolved'],
    );
    assert.equal(m.openAlarm(), undefined);
  });

  it('never scores what the range rules judge: a level outside the profile is covered', () => {
    const m = monitor('vaccine-transport');
    feed(m, logger(0, 180, 'cover-a'));
    // straight to 12 °C and staying there: the tiered alarms' business, not a statistical one
    const ts = feed(
      m,
      logger(180, 260, 'cover-b', () => 7),
    );
    assert.deepEqual(ts, []);
    assert.ok(m.lastVerdicts.every((v) => v.covered));
  });

  it("leaves to the rules what they judge on the patient's SpO2 scale: 90 % is covered on scale 1 only", () => {
    const at90 = (scale: 1 | 2) =>
      patient(0, 10, `scale-${scale}`).map((r) => ({
        ...r,
        data: { ...r.data, spo2_pct: 90, spo2_scale: scale },
      }));
    const covered = (scale: 1 | 2) => {
      const m = monitor('patient-vitals');
      const seen: boolean[] = [];
      for (const r of at90(scale)) {
        m.observe(r, r.ts);
        seen.push(...m.lastVerdicts.map((v) => v.covered));
      }
      return seen;
    };
    // scale 1: SpO2 91 % and below is the spo2-low rule's; scale 2 (target 88-92 %): 83 % and below
    assert.ok(covered(1).length > 5 && covered(1).every((c) => c));
    assert.ok(covered(2).length > 5 && covered(2).every((c) => !c));
  });

  it("explains a heart-rate jump against the patient's own 6-hour median", () => {
    const m = monitor('patient-vitals');
    feed(m, patient(0, 240, 'hr-a'));
    const ts = feed(
      m,
      patient(240, 300, 'hr-b', (x) => (x >= 250 ? 32 : 0)),
    );
    const opened = ts.filter((t) => t.type === 'opened');
    assert.equal(opened.length, 1);
    assert.match(
      opened[0]?.alarm.message ?? '',
      /^HR \d+(\.\d)? robust SDs above this patient's 6-hour median \(1\d\d vs 7\d bpm\) while RR is steady; NEWS2 [12], up from 0$/,
    );
  });

  it('ignores one motion artefact a minute: levels are medians', () => {
    const m = monitor('patient-vitals');
    const rs = patient(0, 600, 'artefact').map((r, i) =>
      i % 6 === 3 ? { ...r, data: { ...r.data, hr_bpm: 210, spo2_pct: 60 } } : r,
    );
    assert.deepEqual(feed(m, rs), []);
  });

  it('a monitor rebuilt from its history window says what the continuous one says', () => {
    const all = logger(0, 600, 'replay', (x) => (x >= 480 && x < 500 ? 0.1 * (x - 480) : 0));
    const continuous = monitor('vaccine-transport');
    const a = feed(continuous, all).map((t) => `${t.type} ${t.alarm.id}`);
    const restartAt = all.findIndex((r) => r.ts >= T0 + 470 * MIN);
    const rebuilt = monitor('vaccine-transport');
    // the alarm service replays 6 h 30 min of history before the newest reading
    for (const r of all.slice(0, restartAt)) if (r.ts >= T0 + (470 - 390) * MIN) rebuilt.observe(r, r.ts);
    const b = feed(rebuilt, all.slice(restartAt)).map((t) => `${t.type} ${t.alarm.id}`);
    assert.ok(a.length >= 2);
    assert.deepEqual(b, a);
  });

  it('holds a bounded state: under 256 KiB per device whatever the cadence and the time fed', () => {
    for (const kind of ['vaccine-transport', 'temperature-probe', 'patient-vitals'] as const) {
      const m = monitor(kind);
      feed(m, kind === 'patient-vitals' ? patient(0, 1500, 'mem') : logger(0, 1500, 'mem'));
      assert.ok(m.bytes < 256 * 1024, `${kind}: ${m.bytes}`);
    }
  });
});
