/**
 * The mutations of the envelope fuzzer: of the envelope text (raw, the MAC no longer matches
 * unless only the JSON form changed) and of a body's JSON text (sealed again afterwards).
 */
import type { Prng } from './prng.ts';

// ---- JSON text helpers ----------------------------------------------------------------------

/** The text of every `"name":value` member of a flat JSON object, in order. */
function members(json: string): { name: string; start: number; end: number }[] {
  const out: { name: string; start: number; end: number }[] = [];
  const re = /"([a-z]+)":("[^"]*"|-?[0-9.eE+]+)/g;
  for (let m = re.exec(json); m; m = re.exec(json))
    out.push({ name: m[1] as string, start: m.index, end: re.lastIndex });
  return out;
}

function replaceValue(json: string, name: string, value: string): string {
  const m = members(json).find((x) => x.name === name);
  if (!m) return json;
  return `${json.slice(0, m.start)}"${name}":${value}${json.slice(m.end)}`;
}

function memberValue(json: string, name: string): string {
  const m = members(json).find((x) => x.name === name);
  return m ? json.slice(m.start + name.length + 3, m.end) : 'null';
}

const nested = (depth: number, open: string, close: string, inner = '1') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

const CONFUSED = [
  'null',
  'true',
  'false',
  '0',
  '-1',
  '1.5',
  '1e308',
  '-0',
  '9007199254740993',
  '""',
  '"1842"',
  '[]',
  '{}',
  '[1,2]',
  '{"a":1}',
  '"\\u0000"',
  '"\\ud800"',
  '"𝕧𝕚𝕘𝕚𝕝"',
  '"truck\\u002d0042"',
];

const UNICODE = ['\u200b', '\u202e', '\ufeff', '\u0000', 'é', '\uff41', '𝕒', '\u0301', 'İ', '\u2028'];

/** Mutates the envelope text (MAC no longer matches unless the change is only JSON form). */
export function rawMutation(json: string, r: Prng): { name: string; payload: Buffer } {
  const fields = ['v', 'dev', 'seq', 'ts', 'kid', 'alg', 'n', 'b', 'mac'];
  const bytes = Buffer.from(json, 'utf8');
  switch (r.int(16)) {
    case 0:
      return { name: 'raw.bitflip', payload: r.flipBits(bytes, 1 + r.int(8)) };
    case 1:
      return { name: 'raw.truncate', payload: bytes.subarray(0, r.int(bytes.length)) };
    case 2: {
      const at = r.int(bytes.length);
      const len = r.int(32);
      return {
        name: 'raw.splice',
        payload: r.chance(0.5)
          ? Buffer.concat([bytes.subarray(0, at), r.bytes(len), bytes.subarray(at)])
          : Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + len))]),
      };
    }
    case 3: {
      const [a, b] = [r.pick(fields), r.pick(fields)];
      const va = memberValue(json, a);
      const vb = memberValue(json, b);
      return { name: 'raw.field-swap', payload: Buffer.from(replaceValue(replaceValue(json, a, vb), b, va)) };
    }
    case 4:
      return {
        name: 'raw.type-confusion',
        payload: Buffer.from(replaceValue(json, r.pick(fields), r.pick(CONFUSED))),
      };
    case 5: {
      const f = r.pick(fields);
      const m = members(json).find((x) => x.name === f);
      const without = m ? `${json.slice(0, m.start)}${json.slice(m.end + 1)}`.replace(',}', '}') : json;
      return { name: 'raw.missing-member', payload: Buffer.from(without) };
    }
    case 6: {
      const f = r.pick(fields);
      const dup = `"${f}":${r.chance(0.5) ? memberValue(json, f) : r.pick(CONFUSED)},`;
      return { name: 'raw.duplicate-member', payload: Buffer.from(`{${dup}${json.slice(1)}`) };
    }
    case 7: {
      const f = r.pick(['seq', 'ts', 'kid', 'v']);
      const v = memberValue(json, f);
      const form = r.pick([
        `${v}.0`,
        `${v}e0`,
        `${v}E+0`,
        `0${v}`,
        `+${v}`,
        `-${v}`,
        `${Number(v) / 1000}e3`,
      ]);
      return { name: 'raw.number-form', payload: Buffer.from(replaceValue(json, f, form)) };
    }
    case 8: {
      const f = r.pick(['dev', 'alg', 'n', 'b', 'mac']);
      const v = memberValue(json, f);
      const at = 1 + r.int(Math.max(1, v.length - 2));
      const u = r.pick(UNICODE);
      return {
        name: 'raw.unicode',
        payload: Buffer.from(replaceValue(json, f, `${v.slice(0, at)}${u}${v.slice(at)}`)),
      };
    }
    case 9:
      return { name: 'raw.bom', payload: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) };
    case 10: {
      // Invalid UTF-8: an overlong '/', a lone continuation byte, a surrogate encoded in UTF-8.
      const bad = r.pick([
        Buffer.from([0xc0, 0xaf]),
        Buffer.from([0x80]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xff]),
      ]);
      const at = r.int(bytes.length);
      return {
        name: 'raw.bad-utf8',
        payload: Buffer.concat([bytes.subarray(0, at), bad, bytes.subarray(at)]),
      };
    }
    case 11: {
      const depth = r.pick([2, 8, 64, 1000, 7000]);
      const f = r.pick(fields);
      const inner = r.chance(0.5) ? nested(depth, '[', ']') : nested(depth, '{"a":', '}');
      return {
        name: 'raw.deep-nesting',
        payload: Buffer.from(r.chance(0.2) ? nested(depth, '[', ']', json) : replaceValue(json, f, inner)),
      };
    }
    case 12:
      return {
        name: 'raw.oversize',
        payload: Buffer.from(replaceValue(json, 'b', `"${'A'.repeat(16_384 + r.int(2048))}"`)),
      };
    case 13:
      // Only JSON form changes: the MAC still matches and the message is a fresh, valid one.
      return {
        name: 'raw.whitespace',
        payload: Buffer.from(json.replaceAll(',', r.pick([', ', ',\n\t', ' ,\r\n ']))),
      };
    case 14:
      return {
        name: 'raw.unknown-member',
        payload: Buffer.from(`{"${r.pick(['x', 'mac2', '__proto__', 'constructor'])}":1,${json.slice(1)}`),
      };
    default:
      return { name: 'raw.random', payload: r.bytes(r.int(400)) };
  }
}

// ---- sealed mutations ------------------------------------------------------------------------

/** Mutates a valid body's JSON text; the result is sealed properly, so it reaches the body schema. */
export function bodyMutation(text: string, r: Prng, now: number): { name: string; body: string } {
  switch (r.int(11)) {
    case 0:
      return {
        name: 'body.type-confusion',
        body: text.replace(/:("[^"]*"|-?[0-9.eE+]+|true|false|null)/, `:${r.pick(CONFUSED)}`),
      };
    case 1: {
      const ms = [...text.matchAll(/"([a-z_]+)":/g)];
      const m = ms.length > 0 ? r.pick(ms) : undefined;
      return {
        name: 'body.duplicate-member',
        body: m ? text.replace(m[0], `${m[0]}${r.pick(CONFUSED)},${m[0]}`) : text,
      };
    }
    case 2:
      return {
        name: 'body.ts-number-form',
        body: text.replace(
          /"ts":(\d+)/,
          (_, v) => `"ts":${r.pick([`${v}.0`, `${v}e0`, `${Number(v) / 1e12}e12`, '-0'])}`,
        ),
      };
    case 3:
      return {
        name: 'body.future-ts',
        body: text.replace(/"ts":(\d+)/, `"ts":${now + 360_000 + r.int(86_400_000)}`),
      };
    case 4:
      return {
        name: 'body.deep-nesting',
        body: nested(r.pick([3, 4, 50, 2000]), '{"samples":[', ']}', '{}'),
      };
    case 5:
      return {
        name: 'body.reserved-name',
        body: r.pick([
          '{"type":"constructor"}',
          '{"type":"__proto__"}',
          '{"type":"toString"}',
          '{"type":"hasOwnProperty"}',
          '{"type":"note","__proto__":1}',
          '{"type":"note","constructor":{"x":1}}',
          '{"samples":[{"__proto__":{"ts":1}}]}',
        ]),
      };
    case 6:
      return {
        name: 'body.unicode',
        body: text.replace(/"([a-z_]+)":"/, (_m, k) => `"${k}":"${r.pick(UNICODE)}\\ud83d\\ude00`),
      };
    case 7:
      return {
        name: 'body.samples-count',
        body: `{"samples":[${Array.from({ length: r.pick([0, 201]) }, () => `{"ts":${now},"temp_c":1}`).join(',')}]}`,
      };
    case 8:
      return {
        name: 'body.not-json',
        body: r.pick(['', 'null', '[]', '"x"', '{', '\u00ff\u00fe', '{"samples":[]}', '{}']),
      };
    case 9:
      return { name: 'body.bom', body: `\ufeff${text}` };
    default:
      return { name: 'body.truncate', body: text.slice(0, r.int(text.length)) };
  }
}
