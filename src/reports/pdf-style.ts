/** Page geometry and colours shared by the PDF report's parts. */

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
