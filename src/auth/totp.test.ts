import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { base32Decode, base32Encode, hotp, otpauthUri, totpCode, totpStep, verifyTotp } from './totp.ts';

// RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

describe('TOTP (RFC 6238)', () => {
  it('matches the Appendix B SHA-1 vectors (8 digits)', () => {
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [t, code] of vectors) assert.equal(totpCode(RFC_SECRET, t * 1000, 8), code, `T=${t}`);
  });

  it('matches the RFC 4226 Appendix D HOTP values (6 digits, the length Vigil uses)', () => {
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    expected.forEach((code, counter) => {
      assert.equal(hotp(RFC_SECRET, counter), code);
    });
    assert.equal(totpCode(RFC_SECRET, 59_000), '287082');
  });

  it('accepts the previous, current and next step and returns the step matched', () => {
    const now = 1_800_000_000_000;
    const step = totpStep(now);
    for (const d of [-1, 0, 1]) {
      const code = hotp(RFC_SECRET, step + d);
      assert.equal(verifyTotp(RFC_SECRET, code, now), step + d);
    }
  });

  it('refuses codes two steps away (outside the window)', () => {
    const now = 1_800_000_000_000;
    const step = totpStep(now);
    assert.equal(verifyTotp(RFC_SECRET, hotp(RFC_SECRET, step - 2), now), null);
    assert.equal(verifyTotp(RFC_SECRET, hotp(RFC_SECRET, step + 2), now), null);
  });

  it('refuses a code whose step is at or below the last accepted one (each code once)', () => {
    const now = 1_800_000_000_000;
    const step = totpStep(now);
    const code = hotp(RFC_SECRET, step);
    assert.equal(verifyTotp(RFC_SECRET, code, now, { lastStep: step - 1 }), step);
    assert.equal(verifyTotp(RFC_SECRET, code, now, { lastStep: step }), null);
    // An older code in the window is refused once a newer one was used.
    assert.equal(verifyTotp(RFC_SECRET, hotp(RFC_SECRET, step - 1), now, { lastStep: step }), null);
    assert.equal(verifyTotp(RFC_SECRET, hotp(RFC_SECRET, step + 1), now, { lastStep: step }), step + 1);
  });

  it('takes step 0 at the start of the epoch, also with no last step stored (null)', () => {
    const code = hotp(RFC_SECRET, 0);
    assert.equal(verifyTotp(RFC_SECRET, code, 0), 0);
    assert.equal(verifyTotp(RFC_SECRET, code, 0, { lastStep: null }), 0);
    assert.equal(verifyTotp(RFC_SECRET, hotp(RFC_SECRET, 1), 0, { lastStep: null }), 1);
  });

  it('returns the earliest fresh step when one code matches two steps', () => {
    // RFC_SECRET gives 911617 at both counters 910737 and 910738 (found by search).
    assert.equal(hotp(RFC_SECRET, 910737), '911617');
    assert.equal(hotp(RFC_SECRET, 910738), '911617');
    const now = 910738 * 30_000;
    assert.equal(verifyTotp(RFC_SECRET, '911617', now), 910737);
    assert.equal(verifyTotp(RFC_SECRET, '911617', now, { lastStep: 910737 }), 910738);
    assert.equal(verifyTotp(RFC_SECRET, '911617', now, { lastStep: 910738 }), null);
  });

  it('refuses counters and digit counts HOTP does not define', () => {
    for (const counter of [-1, 1.5, 2 ** 53, Number.NaN]) {
      assert.throws(() => hotp(RFC_SECRET, counter), {
        name: 'RangeError',
        message: 'counter must be a safe integer >= 0',
      });
    }
    for (const digits of [5, 11, 6.5]) {
      assert.throws(() => hotp(RFC_SECRET, 0, digits), {
        name: 'RangeError',
        message: 'digits must be 6..10',
      });
    }
    assert.equal(hotp(RFC_SECRET, 0, 10).length, 10);
    assert.equal(hotp(RFC_SECRET, 0, 6), '755224');
  });

  it('refuses anything that is not six digits', () => {
    const now = 1_800_000_000_000;
    const code = totpCode(RFC_SECRET, now);
    for (const bad of ['', `${code}0`, code.slice(1), ` ${code}`, '12345a', '１２３４５６']) {
      assert.equal(verifyTotp(RFC_SECRET, bad, now), null, bad);
    }
  });
});

describe('base32 (RFC 4648 §10 vectors)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY======'],
    ['fo', 'MZXQ===='],
    ['foo', 'MZXW6==='],
    ['foob', 'MZXW6YQ='],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI======'],
  ];

  it('encodes and decodes the test vectors', () => {
    for (const [plain, enc] of vectors) {
      assert.equal(base32Encode(Buffer.from(plain)), enc);
      assert.equal(base32Decode(enc).toString(), plain);
      assert.equal(base32Decode(enc.replace(/=/g, '').toLowerCase()).toString(), plain);
    }
  });

  it('round-trips a 20-byte secret without padding, and tolerates spaces', () => {
    const secret = Buffer.from('00112233445566778899aabbccddeeff01234567', 'hex');
    const enc = base32Encode(secret, false);
    assert.equal(enc.length, 32);
    assert.deepEqual(base32Decode(enc.replace(/(.{4})/g, '$1 ')), secret);
  });

  it('refuses characters outside the alphabet and impossible lengths', () => {
    for (const bad of ['MZXW1', 'M', 'MZX', 'MZXW6Y', 'MZ']) {
      assert.throws(
        () => base32Decode(bad),
        (e) => isVigilError(e, 'VIGIL_ERR_USAGE'),
        bad,
      );
    }
    for (const bad of ['MZXW1', 'MZXW6YQ!', 'MZ-XW']) {
      assert.throws(
        () => base32Decode(bad),
        (e) => isVigilError(e, 'VIGIL_ERR_USAGE') && e.detail === 'invalid base32 character',
        bad,
      );
    }
    // Lengths that leave 5 or more bits over, even when those bits are zero: no encoder writes them.
    for (const bad of ['A', 'AAA', 'AAAAAA', 'MZ', 'MY======A']) {
      assert.throws(
        () => base32Decode(bad),
        (e) => isVigilError(e, 'VIGIL_ERR_USAGE') && e.detail === 'invalid base32 length or padding bits',
        bad,
      );
    }
  });

  it('leaves the padding out when asked, at every length', () => {
    for (const [plain, enc] of vectors)
      assert.equal(base32Encode(Buffer.from(plain), false), enc.replace(/=/g, ''));
  });
});

describe('otpauth URI', () => {
  it('names the issuer, the user and the parameters authenticator apps need', () => {
    const uri = otpauthUri('quality.lead', RFC_SECRET);
    assert.equal(
      uri,
      'otpauth://totp/Vigil:quality.lead?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Vigil&algorithm=SHA1&digits=6&period=30',
    );
    // A secret whose base32 would need padding carries none in the URI; the user name is escaped.
    assert.equal(
      otpauthUri('a b', Buffer.from('f')),
      'otpauth://totp/Vigil:a%20b?secret=MY&issuer=Vigil&algorithm=SHA1&digits=6&period=30',
    );
  });
});
