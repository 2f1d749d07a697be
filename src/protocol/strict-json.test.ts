import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeUtf8, parseStrictJson, StrictJsonError, type StrictJsonOptions } from './strict-json.ts';

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
    const text = '{"__proto__":{"polluted":true}}';
    const o = parse(text) as Record<string, unknown>;
    // The same property JSON.parse makes: enumerable, writable, configurable.
    assert.deepEqual(
      Object.getOwnPropertyDescriptor(o, '__proto__'),
      Object.getOwnPropertyDescriptor(JSON.parse(text), '__proto__'),
    );
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

describe('parseStrictJson, messages and positions', () => {
  const message = (text: string, opts: StrictJsonOptions) => {
    try {
      parseStrictJson(text, opts);
    } catch (err) {
      assert.ok(err instanceof StrictJsonError, String(err));
      assert.equal(err.name, 'StrictJsonError');
      return err.message;
    }
    assert.fail(`accepted ${JSON.stringify(text)}`);
  };

  it('names what it expected and the offset where it stopped', () => {
    for (const [text, why] of [
      ['', 'unexpected end at offset 0'],
      [' ', 'unexpected end at offset 1'],
      ['tru', 'unexpected character at offset 0'],
      ['+1', 'unexpected character at offset 0'],
      ['.5', 'unexpected character at offset 0'],
      ['-/', 'digit expected at offset 1'],
      ['"abc', 'unterminated string at offset 4'],
      ['["a", "b', 'unterminated string at offset 8'],
      ['\u000b1', 'unexpected character at offset 0'],
      ['\f1', 'unexpected character at offset 0'],
      ['{', 'member name expected at offset 1'],
      ['{1:2}', 'member name expected at offset 1'],
      ['{"a" 1}', '":" expected at offset 5'],
      ['{"a":1;', '"," or "}" expected at offset 7'],
      ['{"a":1,}', 'member name expected at offset 7'],
      ['[1;', '"," or "]" expected at offset 3'],
      ['[1,]', 'unexpected character at offset 3'],
      ['-', 'digit expected at offset 1'],
      ['-a', 'digit expected at offset 1'],
      ['01', 'data after the JSON value at offset 1'],
      ['1 2', 'data after the JSON value at offset 2'],
      ['1.', 'digit expected at offset 2'],
      ['1.a', 'digit expected at offset 2'],
      ['1e', 'digit expected at offset 2'],
      ['1e+', 'digit expected at offset 3'],
      ['[0, 1e400]', 'number out of range at offset 4'],
      ['-1e400', 'number out of range at offset 0'],
      ['"ab\\n', 'unterminated string at offset 5'],
      ['"a\\"', 'unterminated string at offset 4'],
      ['"\\u12G4"', 'invalid \\u escape at offset 3'],
      ['"\\x"', 'invalid escape at offset 2'],
      ['"\\ud800x"', 'unpaired surrogate at offset 7'],
      ['"\\ud800\\u0041"', 'unpaired surrogate at offset 7'],
      ['"\\ud800\\udbff"', 'unpaired surrogate at offset 7'],
      ['"\\ud800\\ue000"', 'unpaired surrogate at offset 7'],
      ['"x\\udc00"', 'unpaired surrogate at offset 8'],
      ['"x\\udfff"', 'unpaired surrogate at offset 8'],
      ['"\u0001"', 'control character in string at offset 1'],
      ['"ab\\ncd\u001f"', 'control character in string at offset 7'],
      ['[[[[]]]]', 'nested deeper than 3 at offset 3'],
      ['{"a":{"b":{"c":{}}}}', 'nested deeper than 3 at offset 15'],
      ['{"i":1.5}', 'member "i" must be a plain integer at offset 5'],
      ['{"i":-0}', 'member "i" must be a plain integer at offset 5'],
      ['{"i":1e0}', 'member "i" must be a plain integer at offset 5'],
      [
        `{"${'n'.repeat(40)}":1,"${'n'.repeat(40)}":2}`,
        `duplicate member "${'n'.repeat(32)}..." at offset 88`,
      ],
      [`{"${'n'.repeat(32)}":1,"${'n'.repeat(32)}":2}`, `duplicate member "${'n'.repeat(32)}" at offset 72`],
    ] as const) {
      assert.equal(message(text, { maxDepth: 3, integerMembers: new Set(['i']) }), why, JSON.stringify(text));
    }
  });

  it('takes the four JSON whitespace characters anywhere between tokens, and no other', () => {
    const ws = ' \t\r\n';
    const text = `${ws}{${ws}"a"${ws}:${ws}[${ws}1${ws},${ws}true${ws}]${ws},${ws}"b"${ws}:${ws}{${ws}}${ws}}${ws}`;
    assert.deepEqual(parseStrictJson(text, { maxDepth: 3 }), { a: [1, true], b: {} });
    assert.deepEqual(parseStrictJson('[ ]', { maxDepth: 3 }), []);
    for (const other of ['\u000b', '\f', '\u00a0', '\u2028', '\ufeff']) {
      assert.throws(
        () => parseStrictJson(`[1,${other}2]`, { maxDepth: 3 }),
        StrictJsonError,
        JSON.stringify(other),
      );
    }
  });

  it('reads every escape, and raw text around escapes', () => {
    assert.equal(parseStrictJson('"\\"\\\\\\/\\b\\f\\n\\r\\t"', { maxDepth: 1 }), '"\\/\b\f\n\r\t');
    assert.equal(parseStrictJson('"x\\u0041y\\u00e9z\\ud83d\\ude00!"', { maxDepth: 1 }), 'xAyéz😀!');
    assert.equal(parseStrictJson('"\\uD83D\\uDE00"', { maxDepth: 1 }), '😀');
    // The surrogate ranges at their bounds: D800-DBFF high, DC00-DFFF low, E000 neither.
    assert.equal(parseStrictJson('"\\ud800\\udc00"', { maxDepth: 1 }), '\ud800\udc00');
    assert.equal(parseStrictJson('"\\udbff\\udfff"', { maxDepth: 1 }), '\udbff\udfff');
    assert.equal(parseStrictJson('"\\ud7ff\\ue000"', { maxDepth: 1 }), '\ud7ff\ue000');
    // After an escape, a space is text like any other character from U+0020 up.
    assert.equal(parseStrictJson('"\\n a ~"', { maxDepth: 1 }), '\n a ~');
    // A document with an escape somewhere still reads its plain strings as they are.
    assert.deepEqual(parseStrictJson('{"plain":"abc","esc":"a\\nb"}', { maxDepth: 2 }), {
      plain: 'abc',
      esc: 'a\nb',
    });
    assert.deepEqual(parseStrictJson('["x\\ty", "é€", "\\u0000"]', { maxDepth: 2 }), [
      'x\ty',
      'é€',
      '\u0000',
    ]);
  });

  it('takes integer members in plain form, negative ones included, and other numbers in any form', () => {
    const opts = { maxDepth: 2, integerMembers: new Set(['i']) };
    assert.deepEqual(parseStrictJson('{"i":-12,"j":-0,"k":1.5e1,"l":[1.0]}', opts), {
      i: -12,
      j: -0,
      k: 15,
      l: [1],
    });
    assert.deepEqual(parseStrictJson('[1.5]', opts), [1.5]);
    assert.equal(parseStrictJson('{"i":0}', opts) instanceof Object, true);
    // Numbers with more digits than the fast path takes.
    for (const t of [
      '1234567890123456',
      '0.1234567890123456',
      '-9007199254740993',
      '123456789012345.6',
      '1.5E+3',
    ]) {
      assert.ok(Object.is(parseStrictJson(t, opts), JSON.parse(t)), t);
    }
  });

  it('refuses reserved names only where they are member names', () => {
    const opts = { maxDepth: 3, reservedNames: new Set(['constructor']) };
    assert.equal(message('{"constructor":1}', opts), 'reserved member name "constructor" at offset 14');
    assert.deepEqual(parseStrictJson('{"a":"constructor"}', opts), { a: 'constructor' });
    assert.deepEqual(parseStrictJson('{"constructor":1}', { maxDepth: 1 }), { constructor: 1 });
  });
});

describe('decodeUtf8', () => {
  it('keeps a byte order mark and answers null for invalid UTF-8', () => {
    assert.equal(decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), '\ufeff{}');
    assert.equal(decodeUtf8(Buffer.from('é€😀', 'utf8')), 'é€😀');
    for (const bad of [[0xff], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80]])
      assert.equal(decodeUtf8(Buffer.from(bad)), null);
  });
});
