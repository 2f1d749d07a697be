/**
 * Signed webhooks: every webhook Vigil sends carries
 * `X-Vigil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The
 * timestamp is inside the MAC, so a captured request cannot be replayed once it is older than the
 * receiver's tolerance; within it, the receiver drops a request whose `X-Vigil-Delivery` id it has
 * already processed. docs/sinks.md ("Verifying webhooks") documents it for receivers.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { VigilError } from '../errors.ts';

export const SIGNATURE_HEADER = 'X-Vigil-Signature';
/** How far a signature's time may be from the receiver's clock, by default. */
export const DEFAULT_TOLERANCE_S = 300;

function mac(secret: string, t: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

/** The `X-Vigil-Signature` value for `body` (the exact bytes sent) at `nowSeconds`. */
export function signWebhook(secret: string, body: string | Buffer, nowSeconds: number): string {
  const t = Math.floor(nowSeconds);
  return `t=${t},v1=${mac(secret, t, body)}`;
}

/**
 * Checks a received `X-Vigil-Signature` against the raw body: a `t` within `toleranceSeconds` of
 * `nowSeconds`, and a `v1` equal to the expected MAC (compared in constant time; several `v1` are
 * accepted, for a secret being rotated). Returns the signed time (seconds); throws
 * VIGIL_ERR_WEBHOOK_SIGNATURE (missing, malformed, timestamp outside tolerance, mismatch) otherwise.
 */
export function verifyWebhook(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_S,
): number {
  if (!header || header.length > 2000) throw new VigilError('VIGIL_ERR_WEBHOOK_SIGNATURE', 'missing');
  let t: number | undefined;
  const sigs: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && v && /^[0-9a-f]{64}$/.test(v)) sigs.push(v);
  }
  if (t === undefined || sigs.length === 0) throw new VigilError('VIGIL_ERR_WEBHOOK_SIGNATURE', 'malformed');
  if (Math.abs(nowSeconds - t) > toleranceSeconds)
    throw new VigilError('VIGIL_ERR_WEBHOOK_SIGNATURE', 'timestamp outside tolerance');
  const want = Buffer.from(mac(secret, t, body), 'hex');
  if (!sigs.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), want)))
    throw new VigilError('VIGIL_ERR_WEBHOOK_SIGNATURE', 'mismatch');
  return t;
}
