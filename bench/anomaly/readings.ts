/** A trace as the readings the rules and monitors are given. */
import type { Reading } from '../../src/rules/rule.ts';
import { DOOR_NONE, DOOR_OPEN, type Trace } from './traces.ts';

export function toReadings(t: Trace, from = 0, to = t.n): Reading[] {
  const out: Reading[] = new Array(Math.max(0, to - from));
  for (let k = from; k < to; k++) {
    const ts = t.startTs + k * t.stepMs;
    let data: Record<string, unknown>;
    if (t.profile === 'vitals') {
      const p = t.patient as NonNullable<Trace['patient']>;
      data = {
        hr_bpm: t.hr?.[k],
        spo2_pct: t.spo2?.[k],
        rr_bpm: t.rr?.[k],
        sbp_mmhg: t.sbp?.[k],
        temp_c: t.temp[k],
        on_oxygen: p.onOxygen,
        consciousness: p.consciousness,
        spo2_scale: p.spo2Scale,
      };
    } else if (t.door[k] !== DOOR_NONE) {
      data = { temp_c: t.temp[k], door: t.door[k] === DOOR_OPEN ? 'open' : 'closed' };
    } else {
      data = { temp_c: t.temp[k] };
    }
    out[k - from] = { ts, data };
  }
  return out;
}
