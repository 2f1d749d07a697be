import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { signWebhook, verifyWebhook } from './signature.ts';

const SECRET = 'whsec_3q2-7wEAAAAAAAAAAAAAAAAAAAAA';
const BODY = '{"deviceId":"truck-0042","seq":1}\n';
const T = 1_795_305_600;

const refused = (why: RegExp) => (err: unknown) =>
  isVigilError(err, 'VIGIL_ERR_WEBHOOK_SIGNATURE') && why.test(err.message);

describe('webhook signatures (X-Vigil-Signature)', () => {
  it('signs HMAC-SHA256 over "<t>.<body>" as a receiver can recompute it', () => {
    const header = signWebhook(SECRET, BODY, T + 0.9);
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    assert.equal(header, `t=${T},v1=${expected}`);
    assert.equal(verifyWebhook(SECRET, BODY, header, T + 10), T);
  });

  it('refuses a changed body, another secret, a missing or malformed header', () => {
    const header = signWebhook(SECRET, BODY, T);
    assert.throws(() => verifyWebhook(SECRET, BODY.replace('1', '2'), header, T), refused(/mismatch/));
    assert.throws(() => verifyWebhook(`${SECRET}x`, BODY, header, T), refused(/mismatch/));
    assert.throws(() => verifyWebhook(SECRET, BODY, undefined, T), refused(/missing/));
    assert.throws(() => verifyWebhook(SECRET, BODY, 'v1=abc', T), refused(/malformed/));
    // A signature moved to another time does not verify either.
    assert.throws(
      () => verifyWebhook(SECRET, BODY, header.replace(`t=${T}`, `t=${T + 1}`), T),
      refused(/mismatch/),
    );
  });

  it('refuses a replay once it is older (or newer) than the tolerance', () => {
    const header = signWebhook(SECRET, BODY, T);
    assert.equal(verifyWebhook(SECRET, BODY, header, T + 300), T);
    assert.throws(() => verifyWebhook(SECRET, BODY, header, T + 301), refused(/outside tolerance/));
    assert.throws(() => verifyWebhook(SECRET, BODY, header, T - 301), refused(/outside tolerance/));
    assert.throws(() => verifyWebhook(SECRET, BODY, header, T + 61, 60), refused(/outside tolerance/));
  });

  it('accepts any of several v1 signatures (secret rotation)', () => {
    const header = `${signWebhook(SECRET, BODY, T)},v1=${'0'.repeat(64)}`;
    assert.equal(verifyWebhook(SECRET, BODY, header, T), T);
  });
});
