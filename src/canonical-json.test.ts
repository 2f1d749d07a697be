import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from './canonical-json.ts';

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys at every depth, drops undefined members and prints no whitespace', () => {
    assert.equal(
      canonicalJson({ b: 1, a: [{ d: undefined, c: 'x' }, null], e: { z: true, y: -0 } }),
      '{"a":[{"c":"x"},null],"b":1,"e":{"y":0,"z":true}}',
    );
  });

  it('prints non-finite numbers as null and refuses values with no JSON form', () => {
    assert.equal(canonicalJson([Number.NaN, Number.POSITIVE_INFINITY, 1e21]), '[null,null,1e+21]');
    assert.throws(() => canonicalJson(() => 1), TypeError);
    assert.throws(() => canonicalJson({ big: 1n }), TypeError);
  });

  it('keeps objects whose keys contain NUL apart from objects with the keys split at the NUL', () => {
    // A key-order cache keyed on keys.join('\0') served {"a\0b"} the order of {"a","b"}.
    const split = { x: { a: 1, b: 2 }, y: { 'a\u0000b': 3 } };
    const other = { x: { a: 1, b: 2 }, y: { 'a\u0000b': 4 } };
    assert.equal(canonicalJson(split), '{"x":{"a":1,"b":2},"y":{"a\\u0000b":3}}');
    assert.notEqual(canonicalJson(split), canonicalJson(other));
  });

  it('follows RFC 8785: UTF-16 key order, ECMAScript numbers, minimal string escapes', () => {
    // RFC 8785 §3.2.3 sorting example, and number forms of its Appendix B
    assert.equal(
      canonicalJson({
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\u{1f600}': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      }),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\u{1f600}":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    assert.equal(
      canonicalJson([1e-7, 1e21, 333333333.3333333, -0, 5e-324]),
      '[1e-7,1e+21,333333333.3333333,0,5e-324]',
    );
  });

  it('replaces a lone surrogate (not valid Unicode, refused by JCS) with U+FFFD instead of failing', () => {
    assert.equal(canonicalJson({ name: 'x\ud800y' }), '{"name":"x\ufffdy"}');
  });
});

describe('canonical JSON: audit-log values', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }),
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('sorts keys by UTF-16 code units (RFC 8785 §3.2.3)', () => {
    assert.equal(
      canonicalJson({ é: 1, z: 2, A: 3, '\u{1F600}': 4, '\uFFFD': 5 }),
      '{"A":3,"z":2,"é":1,"😀":4,"�":5}',
    );
  });

  it('hashes what a JSON column stores: undefined dropped, NaN as null, Date as its ISO string', () => {
    const input = { u: undefined, n: Number.NaN, d: new Date(0), arr: [undefined] };
    const text = canonicalJson(input);
    assert.equal(text, '{"arr":[null],"d":"1970-01-01T00:00:00.000Z","n":null}');
    assert.equal(canonicalJson(JSON.parse(text)), text);
  });

  it('rejects values with no JSON form', () => {
    assert.throws(() => canonicalJson(undefined), TypeError);
    assert.throws(() => canonicalJson({ big: 1n }), TypeError);
  });
});
