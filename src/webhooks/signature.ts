/**
 * Signed webhooks: every webhook Vigil sends (alarm notifications, src/notifications/channels, and
 * the webhook sink's reading batches, src/sinks/webhook) carries
 * `X-Vigil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with the
 * endpoint's shared secret. The timestamp is inside the MAC, so a captured request cannot be
 * replayed after the tolerance; within it, a receiver drops a request whose delivery id it has
 * already processed (`Idempotency-Key` of a notification, `X-Vigil-Delivery` of a sink batch).
 * Receivers compare in constant time. docs/alarms.md ("Webhooks") and
 * docs/sinks.md ("Verifying webhooks") document it for receivers, with a verification example.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { VigilError } from '../errors.ts';

export const SIGNATURE_HEADER = 'X-Vigil-Signature';
/** How far a signature's timestamp may be from the receiver's clock. */
export const DEFAULT_TOLERANCE_S = 300;
/** Prefix of generated secrets, so one is recognisable in a receiver's configuration. */
const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret: 32 random bytes, base64url, prefixed `whsec_`. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

function mac(secret: string, t: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

/** The header value for `body` (the exact bytes sent) at `nowMs`. */
export function signWebhook(secret: string, body: string | Buffer, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${mac(secret, t, body)}`;
}

/**
 * Checks a received header against the raw body: a `t` within `toleranceS` of `nowMs` and one
 * `v1` (several are allowed, for secret rotation) equal to the expected MAC. Throws
 * VIGIL_ERR_WEBHOOK_SIGNATURE otherwise; returns the signed time (ms).
 */
export function verifyWebhook(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
  nowMs: number,
  toleranceS = DEFAULT_TOLERANCE_S,
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
  if (Math.abs(nowMs / 1000 - t) > toleranceS)
    throw new VigilError('VIGIL_ERR_WEBHOOK_SIGNATURE', 'timestamp outside tolerance');
  const want = Buffer.from(mac(secret, t, body), 'hex');
  if (!sigs.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), want)))
    throw new VigilError('VIGIL_ERR_WEBHOOK_SIGNATURE', 'mismatch');
  return t * 1000;
}
