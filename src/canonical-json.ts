/**
 * Canonical JSON, RFC 8785 (JSON Canonicalization Scheme, JCS), through the maintained
 * `canonicalize` package: object members sorted by the UTF-16 code units of their names at every
 * depth, no whitespace, numbers in the ECMAScript form (RFC 8785 §3.2.2.3), strings with the
 * minimal escapes of §3.2.2.2. Used wherever bytes are hashed, MACed or signed over a value: the
 * audit chain and its checkpoints, and the report verification code. Every object is serialised
 * from its own keys, so no two different values share a text (a key-order cache keyed on
 * `keys.join('\0')` once let `{"a\0b":…}` borrow the order of `{"a":…,"b":…}`).
 *
 * Before canonicalising, the value is passed through `JSON.stringify`/`JSON.parse`, so that what
 * is hashed is exactly what a JSON column stores and returns (undefined members dropped, NaN and
 * ±Infinity as null, a Date as its ISO string), and lone UTF-16 surrogates (not Unicode; JCS
 * refuses them) become U+FFFD. Hence `canonicalJson(JSON.parse(canonicalJson(x))) ===
 * canonicalJson(x)` for every input.
 */
import canonicalize from 'canonicalize';

/** The RFC 8785 text of `value`. TypeError for a value with no JSON form (undefined, a function, a BigInt). */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('value is not representable as JSON');
  const out = canonicalize(wellFormed(JSON.parse(text)));
  if (out === undefined) throw new TypeError('value is not representable as JSON');
  return out;
}

/** A parsed JSON value with every string and member name made well-formed UTF-16. */
function wellFormed(v: unknown): unknown {
  if (typeof v === 'string') return v.isWellFormed() ? v : v.toWellFormed();
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(wellFormed);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    // defineProperty: a member named "__proto__" stays a member, as JSON.parse made it
    Object.defineProperty(out, k.isWellFormed() ? k : k.toWellFormed(), {
      value: wellFormed(x),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
