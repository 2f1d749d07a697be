/**
 * A valid `vaccine-transport` telemetry body of exactly 128 bytes (one sample), the message size
 * the W1, W2 and latency workloads use. `ts` must be 13 digits (epoch ms from 2001 to 2286).
 */
export function bench128ByteBody(ts: number): string {
  const body = JSON.stringify({
    samples: [
      { ts, temp_c: 4.6, rh_pct: 51.2, lat: 52.37, lon: 4.89, bat_pct: 88, power: 'mains', rssi_dbm: -71 },
    ],
  });
  if (Buffer.byteLength(body) !== 128)
    throw new Error(`bench body is ${Buffer.byteLength(body)} bytes, not 128`);
  return body;
}
