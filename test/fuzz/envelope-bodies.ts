/** Valid bodies for the fuzz harness's devices: what each profile and channel accepts (docs/protocol.md §7). */
import type { TestDevice } from '../../src/ingest/ingest.fixture.ts';
import type { Channel } from '../../src/protocol/envelope.ts';
import type { Prng } from './prng.ts';

function sampleFor(d: TestDevice, ts: number, r: Prng): Record<string, unknown> {
  switch (d.profile) {
    case 'vaccine-transport':
      return {
        ts,
        temp_c: 2 + r.int(80) / 10,
        rh_pct: 40 + r.int(200) / 10,
        lat: 52 + r.int(1000) / 1000,
        lon: 4 + r.int(1000) / 1000,
        bat_pct: r.int(101),
        power: r.pick(['mains', 'battery', 'backup']),
        ...(r.chance(0.3) ? { door: r.pick(['open', 'closed']) } : {}),
        ...(r.chance(0.3) ? { rssi_dbm: -r.int(120) } : {}),
      };
    case 'patient-vitals':
      return {
        ts,
        hr_bpm: 50 + r.int(100),
        spo2_pct: 85 + r.int(15),
        rr_bpm: 10 + r.int(20),
        sbp_mmhg: 90 + r.int(80),
        temp_c: 35 + r.int(50) / 10,
        on_oxygen: r.chance(0.2),
        consciousness: r.pick(['A', 'C', 'V', 'P', 'U']),
        ...(r.chance(0.3) ? { spo2_scale: r.pick([1, 2]) } : {}),
      };
    case 'temperature-probe':
      return { ts, temp_c: -30 + r.int(400) / 10, ...(r.chance(0.5) ? { rh_pct: r.int(100) } : {}) };
  }
}

const UUID = '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10';

/** A valid body for the channel (dispatch only from encrypting devices), and its row count. */
export function validBody(
  d: TestDevice,
  channel: Channel,
  now: number,
  r: Prng,
): { body: unknown; rows: number } {
  if (channel === 'telemetry') {
    const n = 1 + r.int(r.chance(0.1) ? 60 : 4);
    const samples = Array.from({ length: n }, (_, i) =>
      sampleFor(d, now - (n - i) * 60_000 - r.int(3_600_000), r),
    );
    return { body: { samples }, rows: n };
  }
  if (channel === 'events') {
    const events: Record<string, unknown>[] = [
      { type: 'door', state: r.pick(['open', 'closed']) },
      { type: 'power', source: r.pick(['mains', 'battery', 'backup']) },
      { type: 'battery_low', bat_pct: r.int(20) },
      { type: 'cooling', state: r.pick(['ok', 'failed', 'overcooling', 'restored']) },
      { type: 'delivery', batch: 'LOT-7' },
      { type: 'note', text: 'hello', count: r.int(9), flag: true, nothing: null },
    ];
    if (d.alg !== 'none')
      events.push({ type: 'dispatch', batch: `LOT-${r.int(1e6)}`, token: r.bytes(9).toString('base64url') });
    const ev = r.pick(events);
    if (r.chance(0.5)) ev.ts = now - r.int(600_000);
    return { body: ev, rows: 1 };
  }
  return { body: { id: UUID, ok: r.chance(0.8), ...(r.chance(0.3) ? { result: { n: 1 } } : {}) }, rows: 1 };
}
