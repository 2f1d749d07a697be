/**
 * Text hygiene for the PDF report: what a string looks like on the page. The CSV keeps every
 * string exactly as entered; the PDF draws what its font can draw and says plainly what it cannot.
 */
import { canDraw } from './pdf-fonts.ts';

/** Invisible formatting characters (bidi overrides, zero-width joiners, ...): shown, never obeyed. */
const FORMAT_CHAR = /^\p{Cf}$/u;

/** `[U+65E5]`: how a character the report font has no glyph for is printed. */
export function codePointLabel(ch: string): string {
  return `[U+${(ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}]`;
}

function drawable(ch: string): boolean {
  return !FORMAT_CHAR.test(ch) && canDraw(ch.codePointAt(0) as number);
}

/** What the page shows for one character: itself, a drawable compatibility form, or null. */
function shown(ch: string): string | null {
  const c = ch.codePointAt(0) as number;
  if (ch === '\n') return ch;
  if (c < 0x20 || (c >= 0x7f && c < 0xa0)) return ' ';
  if (drawable(ch)) return ch;
  const compat = ch.normalize('NFKC');
  return compat !== ch && [...compat].every(drawable) ? compat : null;
}

/**
 * Text the report font can draw, never a silent "?": C0/C1 control characters other than LF
 * become spaces; a character without a glyph becomes its compatibility form when that is drawable
 * (fullwidth Ａ -> A, ligature ﬁ -> fi), else its code point as `[U+65E5]`. Formatting characters
 * (such as U+202E, which would reverse what follows) are shown the same way, so text cannot hide
 * or reorder itself on a signed page.
 */
export function pdfSafe(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) out += shown(ch) ?? codePointLabel(ch);
  return out;
}

/** True when {@link pdfSafe} prints some character of `text` as its code point. */
export function hasUndrawable(text: string): boolean {
  for (const ch of text.normalize('NFC')) if (shown(ch) === null) return true;
  return false;
}

/** As {@link pdfSafe} but on one line (newlines and tabs become spaces). */
export function pdfLine(text: string): string {
  return pdfSafe(text.replace(/\s+/g, ' ').trim());
}

/** Free text cut to `max` characters for the page (the CSV keeps it whole), so no block outgrows a page. */
export function pdfClip(text: string, max = 600): string {
  const t = pdfSafe(text);
  return t.length <= max ? t : `${t.slice(0, max - 1).trimEnd()}…`;
}
