/** Page geometry, colours and text hygiene shared by the PDF report's parts. */

/** A4 in PostScript points. */
export const PAGE = { width: 595.28, height: 841.89 } as const;
/** Content box: everything but the header rule and the footer lives inside it. */
export const CONTENT = { left: 48, right: 595.28 - 48, top: 48, bottom: 841.89 - 58 } as const;
export const CONTENT_WIDTH = CONTENT.right - CONTENT.left;

export const COLOR = {
  ink: '#17202b',
  muted: '#5b6777',
  faint: '#8a94a3',
  rule: '#d5dbe3',
  panel: '#f4f6f9',
  accent: '#0b5cad',
  band: '#dff2e4',
  bandEdge: '#7fbf92',
  above: '#f4c9c4',
  aboveInk: '#b3261e',
  below: '#cfe0f6',
  belowInk: '#1f5fae',
  freeze: '#6b3fb5',
  gap: '#d9dde3',
  series: '#1d3557',
  ok: '#1e7b3c',
  okPanel: '#e6f4ea',
  warn: '#9a6700',
  warnPanel: '#fff4d6',
  bad: '#b3261e',
  badPanel: '#fbe7e5',
} as const;

export const FONT = {
  regular: 'Helvetica',
  bold: 'Helvetica-Bold',
  italic: 'Helvetica-Oblique',
  mono: 'Courier',
  monoBold: 'Courier-Bold',
} as const;

// Windows-1252 characters outside Latin-1 that the standard 14 fonts can show (PDF 32000-1 Annex D.2)
const WIN_ANSI_EXTRA = new Set(
  [
    0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d,
    0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e,
    0x0178,
  ].map((c) => String.fromCharCode(c)),
);

// letters with a stroke have no Unicode decomposition; their base letter is the usual transliteration
const STROKED: Readonly<Record<string, string>> = {
  Ł: 'L',
  ł: 'l',
  Đ: 'D',
  đ: 'd',
  Ħ: 'H',
  ħ: 'h',
  ı: 'i',
  Ŧ: 'T',
  ŧ: 't',
};

/**
 * Text the standard fonts can draw: WinAnsi only (the 14 standard fonts are not Unicode fonts),
 * so other characters are decomposed where possible (é stays, ő -> o) and else become `?`;
 * control characters other than LF become spaces.
 */
export function pdfSafe(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    const c = ch.codePointAt(0) as number;
    if (ch === '\n') out += ch;
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += ' ';
    else if (c < 0x100 || WIN_ANSI_EXTRA.has(ch)) out += ch;
    else if (STROKED[ch]) out += STROKED[ch];
    else {
      const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
      out += base.length === 1 && (base.codePointAt(0) as number) < 0x100 ? base : '?';
    }
  }
  return out;
}

/** As {@link pdfSafe} but on one line (newlines and tabs become spaces). */
export function pdfLine(text: string): string {
  return pdfSafe(text.replace(/\s+/g, ' ').trim());
}

/** Free text cut to `max` characters for the page (the CSV keeps it whole), so no block outgrows a page. */
export function pdfClip(text: string, max = 600): string {
  const t = pdfSafe(text);
  return t.length <= max ? t : `${t.slice(0, max - 3).trimEnd()}...`;
}
