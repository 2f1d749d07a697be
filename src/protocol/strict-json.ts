/**
 * A strict JSON reader for envelopes and bodies (docs/protocol.md §5, §7). It accepts RFC 8259
 * JSON with the I-JSON restrictions of RFC 7493, and refuses what `JSON.parse` lets through
 * silently, so that every receiver reads one message the same way:
 * - a byte order mark (RFC 8259 §8.1: senders MUST NOT add one);
 * - a member name twice in one object, at any depth (RFC 7493 §2.3; `JSON.parse` keeps the last);
 * - an escaped unpaired surrogate (RFC 7493 §2.1);
 * - a number that overflows a double (RFC 7493 §2.2);
 * - in the members named by `integerMembers`, a number not in plain integer form: `5014.0`,
 *   `5.015e3` and `-0` are refused although their value is an integer;
 * - nesting deeper than `maxDepth`;
 * - member names listed in `reservedNames` (for example `__proto__`, which schema libraries drop
 *   silently instead of refusing).
 * Pure; the error messages name a position or a member, never a value.
 */

export interface StrictJsonOptions {
  /** Member names whose numbers must be written as plain integers: `-?(0|[1-9][0-9]*)`, not `-0`. */
  integerMembers?: ReadonlySet<string>;
  /** Deepest nesting of objects and arrays (the top-level value is depth 1). */
  maxDepth: number;
  /** Member names refused wherever they appear. */
  reservedNames?: ReadonlySet<string>;
}

/** Why a text is not strict JSON. */
export class StrictJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StrictJsonError';
  }
}

const NONE: ReadonlySet<string> = new Set();
/** What keeps a string off the fast path: an escape, or a control character (refused unescaped). */
const SPECIAL = /[\u0000-\u001f\\]/;
// One decoder for every message: `fatal` refuses invalid UTF-8; `ignoreBOM` keeps a BOM so it can be refused.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 bytes to text, keeping a BOM (parseStrictJson refuses it); null when not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** Parses `text` or throws StrictJsonError. */
export function parseStrictJson(text: string, opts: StrictJsonOptions): unknown {
  if (text.charCodeAt(0) === 0xfeff) throw new StrictJsonError('byte order mark');
  const r = new Reader(text, opts.integerMembers ?? NONE, opts.reservedNames ?? NONE, opts.maxDepth);
  r.space();
  const value = r.value(undefined, 1);
  r.space();
  if (r.i !== text.length) r.fail('data after the JSON value');
  return value;
}

const quote = (name: string) => JSON.stringify(name.length > 32 ? `${name.slice(0, 32)}...` : name);

class Reader {
  i = 0;
  readonly #t: string;
  readonly #ints: ReadonlySet<string>;
  readonly #reserved: ReadonlySet<string>;
  readonly #maxDepth: number;
  /** No escape and no control character anywhere: every string is its raw text (the usual case). */
  readonly #plain: boolean;

  constructor(text: string, ints: ReadonlySet<string>, reserved: ReadonlySet<string>, maxDepth: number) {
    this.#t = text;
    this.#plain = !SPECIAL.test(text);
    this.#ints = ints;
    this.#reserved = reserved;
    this.#maxDepth = maxDepth;
  }

  fail(why: string): never {
    throw new StrictJsonError(`${why} at offset ${this.i}`);
  }

  /** RFC 8259 §2: whitespace is space, tab, LF and CR only. */
  space(): void {
    const t = this.#t;
    let i = this.i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  /** A value; `member` is the name it is the value of (undefined in arrays and at the top). */
  value(member: string | undefined, depth: number): unknown {
    const c = this.#t.charCodeAt(this.i);
    if (c === 0x22) return this.string();
    if (c === 0x7b) return this.object(depth);
    if (c === 0x5b) return this.array(depth);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number(member);
    if (this.#word('true')) return true;
    if (this.#word('false')) return false;
    if (this.#word('null')) return null;
    return this.fail(Number.isNaN(c) ? 'unexpected end' : 'unexpected character');
  }

  #word(w: string): boolean {
    if (!this.#t.startsWith(w, this.i)) return false;
    this.i += w.length;
    return true;
  }

  #enter(depth: number): void {
    if (depth > this.#maxDepth) this.fail(`nested deeper than ${this.#maxDepth}`);
    this.i++;
    this.space();
  }

  object(depth: number): Record<string, unknown> {
    this.#enter(depth);
    const o: Record<string, unknown> = {};
    if (this.#t.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return o;
    }
    for (;;) {
      if (this.#t.charCodeAt(this.i) !== 0x22) this.fail('member name expected');
      const name = this.string();
      if (Object.hasOwn(o, name)) this.fail(`duplicate member ${quote(name)}`);
      if (this.#reserved.has(name)) this.fail(`reserved member name ${quote(name)}`);
      this.space();
      if (this.#t.charCodeAt(this.i) !== 0x3a) this.fail('":" expected');
      this.i++;
      this.space();
      const v = this.value(name, depth + 1);
      // An own data property, as JSON.parse makes it: `o[name] = v` would set the prototype for "__proto__".
      if (name === '__proto__')
        Object.defineProperty(o, name, { value: v, enumerable: true, writable: true, configurable: true });
      else o[name] = v;
      this.space();
      const c = this.#t.charCodeAt(this.i++);
      if (c === 0x7d) return o;
      if (c !== 0x2c) this.fail('"," or "}" expected');
      this.space();
    }
  }

  array(depth: number): unknown[] {
    this.#enter(depth);
    const a: unknown[] = [];
    if (this.#t.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return a;
    }
    for (;;) {
      a.push(this.value(undefined, depth + 1));
      this.space();
      const c = this.#t.charCodeAt(this.i++);
      if (c === 0x5d) return a;
      if (c !== 0x2c) this.fail('"," or "]" expected');
      this.space();
    }
  }

  /** RFC 8259 §6 number grammar; plain-integer form enforced for `integerMembers`. */
  number(member: string | undefined): number {
    const t = this.#t;
    const start = this.i;
    let i = start;
    if (t.charCodeAt(i) === 0x2d) i++;
    const first = t.charCodeAt(i);
    if (first === 0x30) i++;
    else if (first >= 0x31 && first <= 0x39) while (isDigit(t.charCodeAt(i))) i++;
    else {
      this.i = i;
      this.fail('digit expected');
    }
    const intEnd = i;
    if (t.charCodeAt(i) === 0x2e) {
      i++;
      if (!isDigit(t.charCodeAt(i))) {
        this.i = i;
        this.fail('digit expected');
      }
      while (isDigit(t.charCodeAt(i))) i++;
    }
    const fracEnd = i;
    const e = t.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const s = t.charCodeAt(i);
      if (s === 0x2b || s === 0x2d) i++;
      if (!isDigit(t.charCodeAt(i))) {
        this.i = i;
        this.fail('digit expected');
      }
      while (isDigit(t.charCodeAt(i))) i++;
    }
    const v =
      fracEnd === i
        ? (fastNumber(t, start, intEnd, i) ?? Number(t.slice(start, i)))
        : Number(t.slice(start, i));
    if (member !== undefined && this.#ints.has(member)) {
      if (intEnd !== i || Object.is(v, -0)) {
        this.i = start;
        this.fail(`member ${quote(member)} must be a plain integer`);
      }
    }
    if (!Number.isFinite(v)) {
      this.i = start;
      this.fail('number out of range');
    }
    this.i = i;
    return v;
  }

  /** RFC 8259 §7 string; control characters must be escaped, escaped surrogates must pair. */
  string(): string {
    const t = this.#t;
    const start = this.i + 1;
    // Fast path, native scans: the closing quote, and no escape or control character before it.
    const end = t.indexOf('"', start);
    if (end < 0) {
      this.i = t.length;
      this.fail('unterminated string');
    }
    if (this.#plain) {
      this.i = end + 1;
      return t.slice(start, end);
    }
    const raw = t.slice(start, end);
    if (!SPECIAL.test(raw)) {
      this.i = end + 1;
      return raw;
    }
    let i = start;
    while (t.charCodeAt(i) >= 0x20 && t.charCodeAt(i) !== 0x5c) i++;
    // Slow path: the string has escapes.
    let out = t.slice(start, i);
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.i = i + 1;
        return out;
      }
      if (c < 0x20 || Number.isNaN(c)) {
        this.i = i;
        this.fail(Number.isNaN(c) ? 'unterminated string' : 'control character in string');
      }
      if (c !== 0x5c) {
        out += t[i];
        i++;
        continue;
      }
      const esc = t.charCodeAt(i + 1);
      i += 2;
      switch (esc) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          const u = this.#hex4(i);
          i += 4;
          if (u >= 0xd800 && u <= 0xdbff) {
            // A high surrogate must be followed by an escaped low one.
            const lo = t.startsWith('\\u', i) ? this.#hex4(i + 2) : -1;
            if (lo < 0xdc00 || lo > 0xdfff) {
              this.i = i;
              this.fail('unpaired surrogate');
            }
            out += String.fromCharCode(u, lo);
            i += 6;
          } else if (u >= 0xdc00 && u <= 0xdfff) {
            this.i = i;
            this.fail('unpaired surrogate');
          } else out += String.fromCharCode(u);
          break;
        }
        default:
          this.i = i - 1;
          this.fail('invalid escape');
      }
    }
  }

  #hex4(at: number): number {
    // At most four characters: four hex digits are all of them, no anchors needed.
    const h = this.#t.slice(at, at + 4);
    if (!/[0-9A-Fa-f]{4}/.test(h)) {
      this.i = at;
      this.fail('invalid \\u escape');
    }
    return Number.parseInt(h, 16);
  }
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The value of a number without an exponent (`-?int(.frac)?`, from `start` to `end`, the integer
 * part ending at `intEnd`) with at most 15 digits, as `Number()` gives it, without making a
 * string: the digits form an integer m < 2^53 and the value is m / 10^f for f fraction digits,
 * one correctly rounded division of two exact doubles (Clinger's fast path). Undefined when
 * there are more digits (the caller falls back to Number()).
 */
function fastNumber(t: string, start: number, intEnd: number, end: number): number | undefined {
  const neg = t.charCodeAt(start) === 0x2d;
  const from = neg ? start + 1 : start;
  const frac = intEnd === end ? 0 : end - intEnd - 1;
  if (end - from - (frac > 0 ? 1 : 0) > 15) return undefined;
  let m = 0;
  for (let k = from; k < end; k++) {
    const c = t.charCodeAt(k);
    if (c !== 0x2e) m = m * 10 + (c - 0x30);
  }
  const v = frac === 0 ? m : m / (POW10[frac] as number);
  return neg ? -v : v;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
