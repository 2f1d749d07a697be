/**
 * The report's fonts: DejaVu Sans and DejaVu Sans Mono (the `dejavu-fonts-ttf` package; Bitstream
 * Vera licence with public-domain DejaVu changes, free to embed and redistribute), embedded as
 * subsets. The 14 standard PDF fonts cannot draw anything outside WinAnsi (no −, ≥, ≤, µ, Ł, Ж,
 * ...), which printed such characters as "?"; DejaVu covers Latin, Greek, Cyrillic, Hebrew,
 * Arabic and the symbols the report uses.
 *
 * Deterministic: pdfkit derives the subset tag from the font's resource id, and fontkit's subsets
 * depend only on the glyphs drawn, so the same input still gives the same bytes.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { create, type Font } from 'fontkit';

/** The names the parts of the report draw with (registered on each document). */
export const FONT = {
  regular: 'Vigil-Sans',
  bold: 'Vigil-Sans-Bold',
  italic: 'Vigil-Sans-Oblique',
  mono: 'Vigil-Mono',
  monoBold: 'Vigil-Mono-Bold',
} as const;

const FILES: Readonly<Record<keyof typeof FONT, string>> = {
  regular: 'DejaVuSans.ttf',
  bold: 'DejaVuSans-Bold.ttf',
  italic: 'DejaVuSans-Oblique.ttf',
  mono: 'DejaVuSansMono.ttf',
  monoBold: 'DejaVuSansMono-Bold.ttf',
};

let cache: { files: Record<keyof typeof FONT, Buffer>; drawable: ReadonlySet<number> } | undefined;

function load(): NonNullable<typeof cache> {
  if (cache) return cache;
  const dir = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  const files = Object.fromEntries(
    Object.entries(FILES).map(([k, f]) => [k, readFileSync(join(dir, f))]),
  ) as Record<keyof typeof FONT, Buffer>;
  // People's text may be drawn in any of the three text faces: only what all three have counts.
  const faces = [files.regular, files.bold, files.italic].map((b) => create(b) as Font);
  const [first, ...rest] = faces as [Font, ...Font[]];
  const drawable = new Set(first.characterSet.filter((cp) => rest.every((f) => f.hasGlyphForCodePoint(cp))));
  cache = { files, drawable };
  return cache;
}

/** Registers the report's fonts on a pdfkit document. */
export function registerReportFonts(doc: PDFKit.PDFDocument): void {
  const { files } = load();
  for (const key of Object.keys(FONT) as (keyof typeof FONT)[]) doc.registerFont(FONT[key], files[key]);
}

/** True when the regular, bold and oblique text faces all have a glyph for `codePoint`. */
export function canDraw(codePoint: number): boolean {
  return load().drawable.has(codePoint);
}
