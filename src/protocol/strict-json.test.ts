import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStrictJson, StrictJsonError } from './strict-json.ts';

const ints = new Set(['seq', 'ts']);
const parse = (text: string, maxDepth = 8) => parseStrictJson(text, { integerMembers: ints, maxDepth });
const refuses = (text: string, why: RegExp, maxDepth = 8) =>
  assert.throws(
    () => parse(text, maxDepth),
    (err: unknown) => err instanceof StrictJsonError && why.test(err.message),
  );

describe('parseStrictJson', () => {
  it('reads what JSON.parse reads, for valid JSON without duplicates', () => {
    const texts = [
      '{}',
      '[]',
      ' {"a" : [1, -2.5, 3e2, 4E-1, 0, -0.0, true, false, null, "x"] } ',
      '{"s":"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"}',
      '{"nested":{"deeper":{"deepest":[[],[{}]]}}}',
      '"just a string"',
      '12345678901234567890',
      '{"ts":1795305600123,"seq":0,"other":1.5e3}',
      '{"unicode":"é€😀 raw"}',
      '{"__proto__":1,"constructor":2}',
    ];
    for (const t of texts) assert.deepEqual(parse(t), JSON.parse(t), t);
  });

  it('gives every number exactly the double JSON.parse gives', () => {
    let x = 12345;
    const rand = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x / 0x100000000;
    };
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');
    for (let k = 0; k < 20_000; k++) {
      const int = rand() < 0.2 ? '0' : `${1 + Math.floor(rand() * 9)}${digits(Math.floor(rand() * 12))}`;
      const frac = rand() < 0.3 ? '' : `.${digits(1 + Math.floor(rand() * 17))}`;
      const exp = rand() < 0.8 ? '' : `e${rand() < 0.5 ? '-' : ''}${Math.floor(rand() * 30)}`;
      const text = `${rand() < 0.3 ? '-' : ''}${int}${frac}${exp}`;
      assert.ok(Object.is(parseStrictJson(text, { maxDepth: 1 }), JSON.parse(text)), text);
    }
  });

  it('keeps "__proto__" as an own member and never sets the prototype', () => {
    const o = parse('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.ok(Object.hasOwn(o, '__proto__'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses a member name twice, at any depth', () => {
    refuses('{"seq":1,"seq":1}', /duplicate member "seq"/);
    refuses('{"a":{"b":1,"c":2,"b":3}}', /duplicate member "b"/);
    refuses('{"s":[{"ts":1},{"ts":2,"ts":2}]}', /duplicate member "ts"/);
    // Names are compared after unescaping.
    refuses('{"ab":1,"a\\u0062":2}', /duplicate member "ab"/);
  });

  it('refuses integer members not in plain integer form', () => {
    for (const n of ['5014.0', '5.015e3', '5015E0', '-0', '1e2', '10.5']) {
      refuses(`{"seq":${n}}`, /member "seq" must be a plain integer/);
    }
    assert.deepEqual(parse('{"seq":5014,"ts":-12,"x":5014.0}'), { seq: 5014, ts: -12, x: 5014 });
  });

  it('refuses reserved member names at any depth', () => {
    const opts = { maxDepth: 4, reservedNames: new Set(['__proto__']) };
    assert.throws(() => parseStrictJson('{"a":[{"__proto__":1}]}', opts), /reserved member name "__proto__"/);
    assert.deepEqual(parseStrictJson('{"proto":1}', opts), { proto: 1 });
  });

  it('refuses a byte order mark', () => refuses('\ufeff{}', /byte order mark/));

  it('refuses unpaired escaped surrogates', () => {
    refuses('{"a":"\\ud800"}', /unpaired surrogate/);
    refuses('{"a":"\\udc00x"}', /unpaired surrogate/);
    refuses('{"a":"\\ud800\\u0041"}', /unpaired surrogate/);
  });

  it('refuses numbers that overflow a double', () => refuses('{"x":1e400}', /out of range/));

  it('refuses nesting deeper than maxDepth', () => {
    refuses(`${'['.repeat(5)}${']'.repeat(5)}`, /nested deeper than 4/, 4);
    assert.deepEqual(parse(`${'['.repeat(4)}${']'.repeat(4)}`, 4), [[[[]]]]);
    // Far deeper than the stack could take: refused at the bound, not by a RangeError.
    refuses(`${'['.repeat(100_000)}`, /nested deeper than 8/);
  });

  it('refuses everything JSON.parse refuses', () => {
    const bad = [
      '',
      ' ',
      '{',
      '{"a":1,}',
      '[1,]',
      '{"a" 1}',
      "{'a':1}",
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":+1}',
      '{"a":1e}',
      '{"a":-}',
      '{"a":"\u0001"}',
      '{"a":"\\x"}',
      '{"a":"\\u12g4"}',
      '{"a":tru}',
      '{"a":NaN}',
      '{"a":1} x',
      '{a:1}',
      '"unterminated',
      '{"a":1}\u00a0',
    ];
    for (const t of bad) {
      assert.throws(() => JSON.parse(t), SyntaxError, `JSON.parse refuses ${JSON.stringify(t)}`);
      assert.throws(() => parse(t), StrictJsonError, JSON.stringify(t));
    }
  });

  it('never names a value in its message', () => {
    try {
      parse('{"token":"s3cr3t-value","token":"s3cr3t-value"}');
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof StrictJsonError);
      assert.doesNotMatch(err.message, /s3cr3t/);
    }
  });
});
