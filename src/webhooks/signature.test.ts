import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { generateWebhookSecret, signWebhook, verifyWebhook } from './signature.ts';

const T = 1_795_305_600_123;
const secret = 'whsec_test-secret';
const body = '{"event":"raised","alarm":{"id":"truck-0001/heat/1"}}';

const refused = (fn: () => unknown, why: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) => isVigilError(e, 'VIGIL_ERR_WEBHOOK_SIGNATURE') && why.test(e.detail ?? ''),
  );

describe('webhook signatures', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 as documented for receivers', () => {
    const h = signWebhook(secret, body, T);
    const t = Math.floor(T / 1000);
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    assert.equal(h, `t=${t},v1=${expected}`);
    assert.equal(verifyWebhook(secret, body, h, T + 10_000), t * 1000);
  });

  it('rejects a changed body, another secret, and a malformed or missing header', () => {
    const h = signWebhook(secret, body, T);
    refused(() => verifyWebhook(secret, body.replace('heat', 'door'), h, T), /mismatch/);
    refused(() => verifyWebhook('whsec_other', body, h, T), /mismatch/);
    refused(() => verifyWebhook(secret, body, undefined, T), /missing/);
    refused(() => verifyWebhook(secret, body, 'v1=abc', T), /malformed/);
    refused(() => verifyWebhook(secret, body, h.replace(/t=\d+/, 't=1'), T), /tolerance/);
  });

  it('rejects a replay after the tolerance, and a timestamp moved to fit it', () => {
    const h = signWebhook(secret, body, T);
    refused(() => verifyWebhook(secret, body, h, T + 301_000), /tolerance/);
    const moved = h.replace(/t=(\d+)/, (_m, t) => `t=${Number(t) + 300}`);
    refused(() => verifyWebhook(secret, body, moved, T + 301_000), /mismatch/);
  });

  it('accepts a signature up to the tolerance either side of the clock, and a shorter tolerance', () => {
    const h = signWebhook(secret, body, T);
    const t = Math.floor(T / 1000) * 1000;
    assert.equal(verifyWebhook(secret, body, h, t + 300_000), t);
    refused(() => verifyWebhook(secret, body, h, t - 301_000), /tolerance/);
    refused(() => verifyWebhook(secret, body, h, t + 61_000, 60), /tolerance/);
  });

  it('accepts any of several v1 signatures (secret rotation)', () => {
    const old = signWebhook('whsec_old', body, T);
    const cur = signWebhook(secret, body, T).split(',')[1];
    assert.ok(verifyWebhook(secret, body, `${old},${cur}`, T));
  });

  it('generates distinct, prefixed 256-bit secrets', () => {
    const a = generateWebhookSecret();
    assert.match(a, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, generateWebhookSecret());
  });
});
