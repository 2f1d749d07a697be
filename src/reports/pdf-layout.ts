/**
 * The flowing layout of the PDF report: a cursor that starts new pages with a running header,
 * and the blocks the sections are made of (headings, paragraphs, tables, label/value facts and
 * figure tiles). Every string people typed goes through pdf-text.ts before it is measured.
 */
import { FONT } from './pdf-fonts.ts';
import { COLOR, CONTENT, CONTENT_WIDTH } from './pdf-style.ts';
import { pdfClip, pdfLine } from './pdf-text.ts';
import type { ShipmentReportInput } from './report-model.ts';

export type Doc = PDFKit.PDFDocument;

/** Options of `renderShipmentPdf`. */
export interface PdfReportOptions {
  /** Fingerprint of the key that will sign the file, printed in the verification block. */
  readonly signingKey?: string;
  /** The newest signed audit checkpoint at generation (src/audit), as one line. */
  readonly auditCheckpoint?: string;
}

/** The cursor of the flowing layout, with what every section reads. */
export interface Flow {
  readonly doc: Doc;
  readonly input: ShipmentReportInput;
  readonly options: PdfReportOptions;
  /** The verification code (verification-code.ts). */
  readonly code: string;
  y: number;
}

/** `text` on one line, cut with an ellipsis to fit `width` in the current font. */
export function fitLine(doc: Doc, text: string, width: number): string {
  let t = pdfLine(text);
  if (doc.widthOfString(t) <= width) return t;
  // by code points, so no surrogate pair is cut in half
  const chars = [...t];
  while (chars.length > 1 && doc.widthOfString(`${chars.join('')}…`) > width) chars.pop();
  t = chars.join('');
  return `${t.trimEnd()}…`;
}

/** Starts a new page when fewer than `h` points are left. */
export function ensure(f: Flow, h: number): void {
  if (f.y + h <= CONTENT.bottom) return;
  f.doc.addPage({ size: 'A4', margin: 0 });
  runningHeader(f);
}

export function runningHeader(f: Flow): void {
  const { doc } = f;
  doc
    .font(FONT.bold)
    .fontSize(8)
    .fillColor(COLOR.accent)
    .text('VIGIL', CONTENT.left, 30, { lineBreak: false });
  const x = CONTENT.left + doc.widthOfString('VIGIL') + 8;
  doc.font(FONT.regular).fillColor(COLOR.muted);
  doc.text(fitLine(doc, `Shipment temperature report  ·  ${f.input.shipment.id}`, CONTENT.right - x), x, 30, {
    lineBreak: false,
  });
  doc.lineWidth(0.5).strokeColor(COLOR.rule).moveTo(CONTENT.left, 42).lineTo(CONTENT.right, 42).stroke();
  f.y = CONTENT.top + 6;
}

export function heading(f: Flow, title: string, note?: string): void {
  // keep a heading with at least some of what follows it
  ensure(f, 90);
  const { doc } = f;
  f.y += 8;
  doc.font(FONT.bold).fontSize(11).fillColor(COLOR.ink).text(title, CONTENT.left, f.y, { lineBreak: false });
  if (note) {
    doc.font(FONT.regular).fontSize(8).fillColor(COLOR.muted);
    doc.text(pdfLine(note), CONTENT.right - doc.widthOfString(pdfLine(note)), f.y + 2.5, {
      lineBreak: false,
    });
  }
  f.y += 15;
  doc.lineWidth(0.8).strokeColor(COLOR.accent).moveTo(CONTENT.left, f.y).lineTo(CONTENT.right, f.y).stroke();
  f.y += 6;
}

export function para(
  f: Flow,
  text: string,
  opts: { size?: number; color?: string; font?: string; indent?: number } = {},
): void {
  const { doc } = f;
  const x = CONTENT.left + (opts.indent ?? 0);
  const width = CONTENT.right - x;
  doc
    .font(opts.font ?? FONT.regular)
    .fontSize(opts.size ?? 8.5)
    .fillColor(opts.color ?? COLOR.ink);
  const t = pdfClip(text);
  const h = doc.heightOfString(t, { width });
  ensure(f, h + 2);
  doc.text(t, x, f.y, { width });
  f.y += h + 4;
}

/** A table cell: text, or text with its own colour and font. */
export type CellValue = string | { text: string; color?: string; font?: string };

export interface Column {
  readonly header: string;
  /** Share of the content width. */
  readonly width: number;
  readonly align?: 'left' | 'right' | 'center';
}

export function table(
  f: Flow,
  columns: readonly Column[],
  rows: readonly (readonly CellValue[])[],
  empty: string,
): void {
  const { doc } = f;
  const total = columns.reduce((a, c) => a + c.width, 0);
  const widths = columns.map((c) => (c.width / total) * CONTENT_WIDTH);
  const pad = 4;
  const drawHeader = () => {
    doc.rect(CONTENT.left, f.y, CONTENT_WIDTH, 16).fill(COLOR.panel);
    doc.font(FONT.bold).fontSize(7.5).fillColor(COLOR.muted);
    let x = CONTENT.left;
    columns.forEach((c, i) => {
      const w = widths[i] as number;
      doc.text(c.header.toUpperCase(), x + pad, f.y + 5, {
        width: w - 2 * pad,
        align: c.align ?? 'left',
        lineBreak: false,
      });
      x += w;
    });
    f.y += 16;
  };
  ensure(f, 16 + 18);
  drawHeader();
  if (rows.length === 0) {
    doc
      .font(FONT.italic)
      .fontSize(8.5)
      .fillColor(COLOR.muted)
      .text(empty, CONTENT.left + pad, f.y + 5, { lineBreak: false });
    f.y += 20;
    return;
  }
  rows.forEach((row, ri) => {
    const cells = row.map((c) => (typeof c === 'string' ? { text: c } : c));
    doc.fontSize(8.5);
    const h =
      Math.max(
        ...cells.map((c, i) => {
          doc.font(c.font ?? FONT.regular);
          return doc.heightOfString(pdfClip(c.text) || ' ', { width: (widths[i] as number) - 2 * pad });
        }),
      ) +
      2 * pad +
      1;
    if (f.y + h > CONTENT.bottom) {
      ensure(f, CONTENT.bottom);
      drawHeader();
    }
    if (ri % 2 === 1) doc.rect(CONTENT.left, f.y, CONTENT_WIDTH, h).fill('#fafbfc');
    let x = CONTENT.left;
    cells.forEach((c, i) => {
      const w = widths[i] as number;
      doc
        .font(c.font ?? FONT.regular)
        .fontSize(8.5)
        .fillColor(c.color ?? COLOR.ink)
        .text(pdfClip(c.text), x + pad, f.y + pad + 0.5, {
          width: w - 2 * pad,
          align: columns[i]?.align ?? 'left',
        });
      x += w;
    });
    f.y += h;
    doc.lineWidth(0.4).strokeColor(COLOR.rule).moveTo(CONTENT.left, f.y).lineTo(CONTENT.right, f.y).stroke();
  });
  f.y += 8;
}

/** Label-over-value pairs in `cols` columns. */
export function facts(f: Flow, pairs: readonly [string, string][], cols = 3): void {
  const { doc } = f;
  const gap = 12;
  const w = (CONTENT_WIDTH - gap * (cols - 1)) / cols;
  for (let i = 0; i < pairs.length; i += cols) {
    const row = pairs.slice(i, i + cols);
    doc.font(FONT.regular).fontSize(9);
    const h = Math.max(...row.map(([, v]) => doc.heightOfString(pdfClip(v) || '-', { width: w }))) + 14;
    ensure(f, h);
    row.forEach(([label, value], j) => {
      const x = CONTENT.left + j * (w + gap);
      doc
        .font(FONT.bold)
        .fontSize(6.5)
        .fillColor(COLOR.faint)
        .text(label.toUpperCase(), x, f.y, { width: w, lineBreak: false, characterSpacing: 0.4 });
      doc
        .font(FONT.regular)
        .fontSize(9)
        .fillColor(COLOR.ink)
        .text(pdfClip(value) || '-', x, f.y + 9, { width: w });
    });
    f.y += h + 3;
  }
}

export interface Tile {
  readonly label: string;
  readonly value: string;
  readonly sub?: string;
  readonly tone?: 'ok' | 'bad' | 'warn';
}

export function tiles(f: Flow, items: readonly Tile[], perRow = 4): void {
  const { doc } = f;
  const gap = 8;
  const w = (CONTENT_WIDTH - gap * (perRow - 1)) / perRow;
  const h = 48;
  for (let i = 0; i < items.length; i += perRow) {
    ensure(f, h + gap);
    items.slice(i, i + perRow).forEach((t, j) => {
      const x = CONTENT.left + j * (w + gap);
      const ink = t.tone === 'bad' ? COLOR.bad : t.tone === 'warn' ? COLOR.warn : COLOR.ink;
      doc.roundedRect(x, f.y, w, h, 3).fill(COLOR.panel);
      if (t.tone) {
        doc.rect(x, f.y + 3, 2.5, h - 6).fill(t.tone === 'ok' ? COLOR.ok : ink);
      }
      doc
        .font(FONT.bold)
        .fontSize(6.5)
        .fillColor(COLOR.faint)
        .text(t.label.toUpperCase(), x + 9, f.y + 7, {
          width: w - 14,
          lineBreak: false,
          characterSpacing: 0.4,
        });
      doc
        .font(FONT.bold)
        .fontSize(14)
        .fillColor(ink)
        .text(fitLine(doc, t.value, w - 14), x + 9, f.y + 17, { lineBreak: false });
      if (t.sub) {
        doc
          .font(FONT.regular)
          .fontSize(7)
          .fillColor(COLOR.muted)
          .text(fitLine(doc, t.sub, w - 14), x + 9, f.y + 35, { lineBreak: false });
      }
    });
    f.y += h + gap;
  }
}
