import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { syntheticReportInput } from './report-input.fixture.ts';
import {
  CROCKFORD_ALPHABET,
  formatVerificationCode,
  normalizeVerificationCode,
  reportContentHash,
  verificationCode,
} from './verification-code.ts';

describe('verification code', () => {
  const input = syntheticReportInput({ days: 1, stepMs: 10 * 60_000 });

  it('is the first 100 bits of the content hash in Crockford base32, five groups of four', () => {
    const code = verificationCode(input);
    assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    assert.equal(formatVerificationCode(Buffer.alloc(32)), '0000-0000-0000-0000-0000');
    assert.equal(formatVerificationCode(Buffer.alloc(32, 0xff)), 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ');
    // 0x08 0x86 0x42 0x98 0xe8 = 00001 00010 00011 00100 00101 00110 00111 01000
    const h = Buffer.alloc(32);
    Buffer.from('08864298e8', 'hex').copy(h);
    assert.equal(formatVerificationCode(h).slice(0, 9), '1234-5678');
    const bits = [...reportContentHash(input).subarray(0, 13)]
      .map((b) => b.toString(2).padStart(8, '0'))
      .join('');
    const expected = (bits.slice(0, 100).match(/.{5}/g) as string[])
      .map((b) => CROCKFORD_ALPHABET[Number.parseInt(b, 2)])
      .join('');
    assert.equal(code.replaceAll('-', ''), expected);
  });

  it('has no look-alike characters, across many codes', () => {
    for (let i = 0; i < 500; i++) {
      const code = formatVerificationCode(reportContentHash({ ...input, generatedBy: `u${i}` }));
      assert.doesNotMatch(code, /[ILOU]|[a-z]/);
    }
  });

  it('reads back a typed code: case, hyphens and spaces ignored, I/L as 1 and O as 0', () => {
    const code = verificationCode(input);
    assert.equal(normalizeVerificationCode(code.toLowerCase().replaceAll('-', ' ')), code);
    assert.equal(normalizeVerificationCode('oooo-iiii-llll-0000-1111'), '0000-1111-1111-0000-1111');
    assert.equal(normalizeVerificationCode('UUUU-0000-0000-0000-0000'), null);
    assert.equal(normalizeVerificationCode('0000-0000'), null);
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
