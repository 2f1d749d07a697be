/**
 * Device-side cost per reading, measured on this host with the simulator's device code path
 * (src/protocol/envelope.ts sealEnvelope, as src/sim/sim-device.ts calls it): crypto operations
 * and time to seal one 128-byte reading per algorithm, and the resulting message size.
 */
import { randomBytes } from 'node:crypto';
import { type Alg, NONCE_BYTES } from '../../src/protocol/aead.ts';
import { sealEnvelope, serializeEnvelope } from '../../src/protocol/envelope.ts';
import { deriveDeviceKeys } from '../../src/protocol/keys.ts';
import { bench128ByteBody } from '../bodies.ts';
import { nowMs } from '../clock.ts';

export interface DeviceCost {
  alg: Alg;
  /** Crypto operations per reading. */
  ops: string;
  /** Mean microseconds to seal one reading (nonce, AEAD, HMAC, JSON). */
  usPerReading: number;
  /** The serialized envelope (the MQTT payload). */
  envelopeBytes: number;
  bodyBytes: number;
  readings: number;
}

const OPS: Record<Alg, string> = {
  none: '1 HMAC-SHA256, 12-byte nonce from the CSPRNG',
  A256GCM: '1 AES-256-GCM encryption (128 B + 16 B tag), 1 HMAC-SHA256, 12-byte nonce',
  ASCON128: '1 Ascon-AEAD128 encryption (128 B + 16 B tag), 1 HMAC-SHA256, 16-byte nonce',
};

/** Seals readings for up to `maxMs` (at most 200,000) after an untimed warm-up. */
export function measureDeviceCost(alg: Alg, maxMs: number): DeviceCost {
  const id = 'cost-device-01';
  const keys = deriveDeviceKeys(randomBytes(32), id);
  const ts = Date.now();
  const body = bench128ByteBody(ts);
  let bytes = 0;
  const seal = (seq: number) =>
    serializeEnvelope(
      sealEnvelope({
        dev: id,
        channel: 'telemetry',
        seq,
        ts,
        kid: 1,
        alg,
        nonce: randomBytes(NONCE_BYTES[alg]),
        body,
        keys,
      }),
    );
  for (let i = 0; i < 2000; i++) bytes = seal(i).length;
  let n = 0;
  const t0 = nowMs();
  while (n < 200_000 && (n % 256 !== 0 || nowMs() - t0 < maxMs)) seal(++n);
  const ms = nowMs() - t0;
  return {
    alg,
    ops: OPS[alg],
    usPerReading: (ms * 1000) / n,
    envelopeBytes: bytes,
    bodyBytes: Buffer.byteLength(body),
    readings: n,
  };
}
