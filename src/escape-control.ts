/**
 * Terminal-safe text: user-controlled strings (user names typed at a failed sign-in, audit
 * objects, shipment places, device messages) can carry control characters. Printed raw, an
 * escape sequence (`ESC [ ... `, or the one-byte C1 CSI U+009B) can move the cursor, rewrite
 * earlier lines, change the window title or hide text; a bidirectional override (U+202E) can
 * make text display in a different order than it is stored (CVE-2021-42574, "Trojan Source").
 *
 * One helper for every place that shows such strings (CLI output, warn logs): it replaces
 *   - C0 controls U+0000-U+001F and DEL U+007F (ECMA-48 §5.2),
 *   - C1 controls U+0080-U+009F (ECMA-48 §5.3),
 *   - the bidirectional formatting characters U+061C, U+200E, U+200F, U+202A-U+202E and
 *     U+2066-U+2069 (Unicode UAX #9 §2), and the line and paragraph separators U+2028/U+2029,
 * by a visible `\uXXXX`. That form is also a valid JSON string escape, so the same helper can
 * run over a line of JSON without breaking it. Backslashes are left as they are.
 */

const ALL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// The same set without line feed and tab: for whole lines of output whose layout is ours.
const LAYOUT_KEPT =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;

/** `text` with every control and bidi formatting character shown as `\uXXXX` (line feeds too). */
export function escapeControl(text: string): string {
  return text.replace(ALL, hex);
}

/**
 * Like {@link escapeControl} but keeps line feed and tab: for a whole line (or block) of output
 * that the program laid out itself, where only the embedded values are untrusted. Values that
 * must stay on one line are escaped with {@link escapeControl} first.
 */
export function escapeControlKeepLayout(text: string): string {
  return text.replace(LAYOUT_KEPT, hex);
}
