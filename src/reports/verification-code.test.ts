import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { syntheticReportInput } from './report-input.fixture.ts';
import { formatVerificationCode, reportContentHash, verificationCode } from './verification-code.ts';

describe('verification code', () => {
  const input = syntheticReportInput({ days: 1, stepMs: 10 * 60_000 });

  it('is 16 base64url characters of the content hash in four groups', () => {
    const code = verificationCode(input);
    assert.match(code, /^[A-Za-z0-9_-]{4}( [A-Za-z0-9_-]{4}){3}$/);
    assert.equal(code.replaceAll(' ', ''), reportContentHash(input).toString('base64url').slice(0, 16));
    assert.equal(formatVerificationCode(Buffer.alloc(32)), 'AAAA AAAA AAAA AAAA');
  });

  it('differs for inputs that differ only inside an object with a NUL in a key', () => {
    const a = { ...input, generatedBy: 'qa.lead' } as typeof input & { extra?: unknown };
    const withKeys = (v: number) => ({ ...a, extra: [{ p: 1, q: 2 }, { 'p\u0000q': v }] });
    assert.notEqual(
      verificationCode(withKeys(1) as typeof input),
      verificationCode(withKeys(2) as typeof input),
    );
  });

  it('is the same for the same content whatever the key order', () => {
    const reordered = Object.fromEntries(Object.entries(input).reverse()) as typeof input;
    assert.equal(verificationCode(reordered), verificationCode(input));
  });

  it('changes when any fact changes: a reading, an acknowledgement, the generator', () => {
    const base = verificationCode(input);
    const readings = input.readings.map((r, i) => (i === 3 ? { ...r, tempC: r.tempC + 0.01 } : r));
    assert.notEqual(verificationCode({ ...input, readings }), base);
    const alarms = input.alarms.map((a) => (a.ack ? { ...a, ack: { ...a.ack, meaning: 'Approved' } } : a));
    assert.notEqual(verificationCode({ ...input, alarms }), base);
    assert.notEqual(verificationCode({ ...input, generatedBy: 'someone.else' }), base);
  });
});
