/**
 * The PDF shipment report (pdfkit, standard fonts, vector graphics only): title and status,
 * shipment facts and batches, the temperature chart, a summary (MKT, extremes, time out of range,
 * budgets), excursions, alarms with their acknowledgements and electronic signatures, the chain
 * of custody, proof of delivery, the quality decision and a verification block.
 *
 * Deterministic: the same input gives the same bytes. Every date in the file comes from
 * `generatedAt` (pdfkit's CreationDate, and with it the trailer /ID, which pdfkit derives from the
 * info dictionary), nothing reads the clock or randomness, streams are deflated by zlib (stable
 * for one zlib build), and text uses only the standard 14 fonts, so no font subset is embedded.
 * The signature line is appended afterwards by signing.ts.
 */
import PDFDocument from 'pdfkit';
import { durationShort, durationText, humanUtc, latLonText, num, tempText } from './format.ts';
import { drawTemperatureChart } from './pdf-chart.ts';
import { COLOR, CONTENT, CONTENT_WIDTH, FONT, PAGE, pdfClip, pdfLine } from './pdf-style.ts';
import { backfillCount, budgetUse, policyLines, rangeText, reportSpan } from './report-facts.ts';
import type { ReportAlarm, ShipmentReportInput } from './report-model.ts';
import { formatVerificationCode, reportContentHash } from './verification-code.ts';

/** Options of {@link renderShipmentPdf}. */
export interface PdfReportOptions {
  /** Fingerprint of the key that will sign the file, printed in the verification block. */
  readonly signingKey?: string;
  /** The newest signed audit checkpoint at generation (src/audit), as one line. */
  readonly auditCheckpoint?: string;
}

type Doc = PDFKit.PDFDocument;

/** The cursor of the flowing layout. */
interface Flow {
  readonly doc: Doc;
  readonly input: ShipmentReportInput;
  readonly code: string;
  y: number;
}

/** `text` on one line, cut with an ellipsis to fit `width` in the current font. */
function fitLine(doc: Doc, text: string, width: number): string {
  let t = pdfLine(text);
  if (doc.widthOfString(t) <= width) return t;
  while (t.length > 1 && doc.widthOfString(`${t}...`) > width) t = t.slice(0, -1);
  return `${t.trimEnd()}...`;
}

/** Starts a new page when fewer than `h` points are left. */
function ensure(f: Flow, h: number): void {
  if (f.y + h <= CONTENT.bottom) return;
  f.doc.addPage({ size: 'A4', margin: 0 });
  runningHeader(f);
}

function runningHeader(f: Flow): void {
  const { doc } = f;
  doc
    .font(FONT.bold)
    .fontSize(8)
    .fillColor(COLOR.accent)
    .text('VIGIL', CONTENT.left, 30, { lineBreak: false });
  doc
    .font(FONT.regular)
    .fillColor(COLOR.muted)
    .text(pdfLine(`Shipment temperature report  ·  ${f.input.shipment.id}`), CONTENT.left + 34, 30, {
      lineBreak: false,
    });
  doc.lineWidth(0.5).strokeColor(COLOR.rule).moveTo(CONTENT.left, 42).lineTo(CONTENT.right, 42).stroke();
  f.y = CONTENT.top + 6;
}

function heading(f: Flow, title: string, note?: string): void {
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

function para(
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
type CellValue = string | { text: string; color?: string; font?: string };

interface Column {
  readonly header: string;
  /** Share of the content width. */
  readonly width: number;
  readonly align?: 'left' | 'right' | 'center';
}

function table(
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
function facts(f: Flow, pairs: readonly [string, string][], cols = 3): void {
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

interface Tile {
  readonly label: string;
  readonly value: string;
  readonly sub?: string;
  readonly tone?: 'ok' | 'bad' | 'warn';
}

function tiles(f: Flow, items: readonly Tile[], perRow = 4): void {
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

function titleBlock(f: Flow): void {
  const { doc, input } = f;
  const s = input.shipment;
  doc.rect(0, 0, PAGE.width, 6).fill(COLOR.accent);
  doc.font(FONT.bold).fontSize(9).fillColor(COLOR.accent).text('VIGIL', CONTENT.left, 30, {
    lineBreak: false,
    characterSpacing: 1.5,
  });
  doc
    .font(FONT.bold)
    .fontSize(20)
    .fillColor(COLOR.ink)
    .text('Shipment temperature report', CONTENT.left, 44, { lineBreak: false });
  doc.font(FONT.regular).fontSize(10).fillColor(COLOR.muted);
  const span = reportSpan(input);
  const period = span
    ? `${humanUtc(span.from).slice(0, 10)} to ${humanUtc(span.to).slice(0, 10)}`
    : 'no readings';
  doc.text(
    fitLine(
      doc,
      `${s.id}  ·  ${period}  ·  ${s.batches.length} batch${s.batches.length === 1 ? '' : 'es'}`,
      CONTENT_WIDTH - 200,
    ),
    CONTENT.left,
    70,
    {
      lineBreak: false,
    },
  );
  // right column: state and verification code
  const rx = CONTENT.right - 180;
  const state = pdfLine(s.state.replaceAll('_', ' ').toUpperCase());
  doc.font(FONT.bold).fontSize(8);
  const sw = doc.widthOfString(state) + 14;
  const stateTone =
    s.state === 'quarantined'
      ? COLOR.bad
      : s.state === 'released' || s.state === 'closed'
        ? COLOR.ok
        : COLOR.accent;
  doc.roundedRect(CONTENT.right - sw, 30, sw, 15, 7.5).fill(stateTone);
  doc.fillColor('#ffffff').text(state, CONTENT.right - sw + 7, 34.5, { lineBreak: false });
  doc.font(FONT.regular).fontSize(7).fillColor(COLOR.faint).text('VERIFICATION CODE', rx, 52, {
    width: 180,
    align: 'right',
    lineBreak: false,
    characterSpacing: 0.4,
  });
  doc
    .font(FONT.monoBold)
    .fontSize(11)
    .fillColor(COLOR.ink)
    .text(f.code, rx, 61, { width: 180, align: 'right', lineBreak: false });
  doc
    .font(FONT.regular)
    .fontSize(7)
    .fillColor(COLOR.muted)
    .text(
      fitLine(doc, `Generated ${humanUtc(input.generatedAt)} for ${input.generatedBy}`, 220),
      rx - 40,
      75,
      {
        width: 220,
        align: 'right',
        lineBreak: false,
      },
    );
  doc.lineWidth(0.5).strokeColor(COLOR.rule).moveTo(CONTENT.left, 90).lineTo(CONTENT.right, 90).stroke();
  f.y = 100;
}

/** One-line verdict so quality sees the outcome before the details. */
function verdict(f: Flow): void {
  const { doc, input } = f;
  const { summary, shipment } = input;
  const p = shipment.profile;
  const outMs = summary.timeAboveMs + summary.timeBelowMs;
  const critical = input.alarms.filter((a) => a.severity === 'critical').length;
  const unacked = input.alarms.filter((a) => !a.ack).length;
  let tone: 'ok' | 'warn' | 'bad';
  let title: string;
  let detail: string;
  if (summary.readingCount === 0) {
    tone = 'warn';
    title = 'No temperature data';
    detail = 'No readings were recorded for this shipment.';
  } else if (summary.excursions.length === 0 && input.alarms.length === 0) {
    tone = 'ok';
    title = `Within range: every reading between ${rangeText(p)}`;
    detail = `${summary.readingCount.toLocaleString('en-US')} readings, MKT ${tempText(summary.mktC)}, no alarms.`;
  } else {
    tone = summary.excursions.length > 0 || critical > 0 ? 'bad' : 'warn';
    const n = summary.excursions.length;
    title = `${n} excursion${n === 1 ? '' : 's'}, ${durationText(outMs)} out of range`;
    detail = `${input.alarms.length} alarm${input.alarms.length === 1 ? '' : 's'} (${critical} critical), ${
      unacked === 0 ? 'all acknowledged' : `${unacked} not acknowledged`
    }. MKT ${tempText(summary.mktC)}.`;
  }
  const d = shipment.decision;
  if (d) {
    detail += ` Quality decision: ${d.state} by ${d.by} on ${humanUtc(d.at)}.`;
    if (d.state === 'quarantined') tone = 'bad';
  }
  const ink = tone === 'ok' ? COLOR.ok : tone === 'warn' ? COLOR.warn : COLOR.bad;
  const panel = tone === 'ok' ? COLOR.okPanel : tone === 'warn' ? COLOR.warnPanel : COLOR.badPanel;
  doc.font(FONT.regular).fontSize(8.5);
  const dh = doc.heightOfString(pdfClip(detail), { width: CONTENT_WIDTH - 24 });
  const h = 22 + dh;
  doc.roundedRect(CONTENT.left, f.y, CONTENT_WIDTH, h, 3).fill(panel);
  doc.rect(CONTENT.left, f.y, 3, h).fill(ink);
  doc
    .font(FONT.bold)
    .fontSize(10.5)
    .fillColor(ink)
    .text(fitLine(doc, title, CONTENT_WIDTH - 24), CONTENT.left + 12, f.y + 6, { lineBreak: false });
  doc
    .font(FONT.regular)
    .fontSize(8.5)
    .fillColor(COLOR.ink)
    .text(pdfClip(detail), CONTENT.left + 12, f.y + 19, { width: CONTENT_WIDTH - 24 });
  f.y += h + 10;
}

function shipmentFacts(f: Flow): void {
  const s = f.input.shipment;
  const p = s.profile;
  facts(f, [
    ['Shipment', s.id],
    ['Origin', s.origin],
    ['Destination', s.destination],
    ['Profile', p.name],
    ['Storage range', rangeText(p)],
    ['Logger device', s.deviceId],
    ['Dispatched', s.dispatch ? humanUtc(s.dispatch.at) : 'not dispatched'],
    ['Delivered', s.delivery ? humanUtc(s.delivery.at) : 'not delivered'],
    ['Logger batch id', s.dispatch?.batchId ?? 'not dispatched'],
  ]);
  facts(f, [...policyLines(p), ['Data gap', `after ${durationText(p.dataGapMaxMs)} without a reading`]], 1);
}

function batchesTable(f: Flow): void {
  table(
    f,
    [
      { header: 'Lot', width: 2 },
      { header: 'Product', width: 4 },
      { header: 'Quantity', width: 1.3, align: 'right' },
      { header: 'VVM', width: 1.2 },
    ],
    f.input.shipment.batches.map((b) => [b.lot, b.product, b.quantity.toLocaleString('en-US'), b.vvm ?? '-']),
    'No batches recorded.',
  );
}

function summarySection(f: Flow): void {
  const { input } = f;
  const { summary: s } = input;
  const p = input.shipment.profile;
  const outMs = s.timeAboveMs + s.timeBelowMs;
  tiles(f, [
    {
      label: 'Mean kinetic temp.',
      value: tempText(s.mktC),
      sub: 'dH/R 10 000 K, gaps excluded',
      tone: s.mktC === null ? undefined : s.mktC > p.upperC || s.mktC < p.lowerC ? 'bad' : 'ok',
    },
    {
      label: 'Minimum',
      value: tempText(s.minC, 1),
      sub: `lower limit ${num(p.lowerC)} °C`,
      tone: s.minC !== null && s.minC < p.lowerC ? 'bad' : undefined,
    },
    {
      label: 'Maximum',
      value: tempText(s.maxC, 1),
      sub: `upper limit ${num(p.upperC)} °C`,
      tone: s.maxC !== null && s.maxC > p.upperC ? 'bad' : undefined,
    },
    {
      label: 'Time out of range',
      value: durationShort(outMs),
      sub: `above ${durationText(s.timeAboveMs)}, below ${durationText(s.timeBelowMs)}`,
      tone: outMs > 0 ? 'bad' : 'ok',
    },
    {
      label: 'Excursions',
      value: String(s.excursions.length),
      sub: `${s.excursions.filter((e) => e.kind === 'above').length} above, ${s.excursions.filter((e) => e.kind === 'below').length} below`,
      tone: s.excursions.length > 0 ? 'bad' : 'ok',
    },
    {
      label: 'Alarms',
      value: String(input.alarms.length),
      sub: `${input.alarms.filter((a) => a.ack).length} acknowledged`,
      tone: input.alarms.some((a) => !a.ack) ? 'warn' : undefined,
    },
    {
      label: 'Readings',
      value: s.readingCount.toLocaleString('en-US'),
      sub: `${backfillCount(input).toLocaleString('en-US')} backfilled (sent late)`,
    },
    {
      label: 'Observed time',
      value: durationShort(s.observedMs),
      sub: `${s.gaps.length} data gap${s.gaps.length === 1 ? '' : 's'} > ${durationText(p.dataGapMaxMs)}`,
      tone: s.gaps.length > 0 ? 'warn' : undefined,
    },
  ]);
  const budgets = budgetUse(input);
  if (budgets.length > 0) {
    f.y += 2;
    table(
      f,
      [
        { header: 'Budget', width: 2 },
        { header: 'Counts time', width: 2.4 },
        { header: 'Allowed', width: 1.5, align: 'right' },
        { header: 'Used', width: 1.5, align: 'right' },
        { header: 'Status', width: 1.2 },
      ],
      budgets.map((u) => [
        u.budget.name,
        `${u.budget.kind === 'above' ? (u.budget.inclusive ? 'at or above' : 'above') : u.budget.inclusive ? 'at or below' : 'below'} ${num(u.budget.limitC)} °C`,
        durationText(u.budget.budgetMs),
        durationText(u.usedMs),
        u.exceeded
          ? { text: 'EXCEEDED', color: COLOR.bad, font: FONT.bold }
          : { text: 'within', color: COLOR.ok, font: FONT.bold },
      ]),
      'No budgets.',
    );
  }
}

function excursionsSection(f: Flow): void {
  const { summary } = f.input;
  const merge = f.input.shipment.profile.mergeGapMinutes;
  heading(
    f,
    'Excursions',
    `time charged per sampling interval; data gaps not counted; returns to range under ${num(merge)} min merged`,
  );
  table(
    f,
    [
      { header: '#', width: 0.5 },
      { header: 'Kind', width: 1 },
      { header: 'Start (UTC)', width: 2.2 },
      { header: 'End (UTC)', width: 2.2 },
      { header: 'Duration', width: 1.6, align: 'right' },
      { header: 'Peak', width: 1.2, align: 'right' },
      { header: 'Merged', width: 1, align: 'right' },
    ],
    summary.excursions.map((e, i) => [
      { text: `E${i + 1}`, font: FONT.bold },
      { text: e.kind, color: e.kind === 'above' ? COLOR.aboveInk : COLOR.belowInk, font: FONT.bold },
      humanUtc(e.start),
      e.ongoing ? `${humanUtc(e.end)} (ongoing)` : humanUtc(e.end),
      durationText(e.durationMs),
      tempText(e.peakC, 1),
      e.parts > 1 ? `${e.parts} parts` : '-',
    ]),
    'No excursions: every reading was within range.',
  );
  excursionDetails(f);
  if (summary.gaps.length > 0) {
    f.y += 4;
    heading(f, 'Data gaps', 'no readings; not counted as time');
    table(
      f,
      [
        { header: 'Last reading before', width: 2 },
        { header: 'First reading after', width: 2 },
        { header: 'Length', width: 1.4, align: 'right' },
      ],
      summary.gaps.map((g) => [humanUtc(g.start), humanUtc(g.end), durationText(g.durationMs)]),
      '',
    );
  }
}

/** At most this many excursions get a detail chart; the table lists them all. */
const MAX_DETAIL_CHARTS = 4;

/** A zoomed chart of each excursion (a 30-day chart shows a 10-hour excursion as a thin stripe). */
function excursionDetails(f: Flow): void {
  const { doc, input } = f;
  const list = input.summary.excursions.slice(0, MAX_DETAIL_CHARTS);
  const h = 150;
  list.forEach((e, i) => {
    const pad = Math.max(3_600_000, (e.end - e.start) * 0.35);
    ensure(f, h + 22);
    const title = `E${i + 1} in detail`;
    doc
      .font(FONT.bold)
      .fontSize(8.5)
      .fillColor(COLOR.ink)
      .text(title, CONTENT.left, f.y, { lineBreak: false });
    const tw = doc.widthOfString(title);
    doc
      .font(FONT.regular)
      .fontSize(8)
      .fillColor(COLOR.muted)
      .text(
        `   ${e.kind === 'above' ? 'above' : 'below'} the range for ${durationText(e.durationMs)}, ${e.kind === 'above' ? 'highest' : 'lowest'} ${tempText(e.peakC, 1)}`,
        CONTENT.left + tw,
        f.y + 0.5,
        { lineBreak: false },
      );
    f.y += 10;
    drawTemperatureChart(
      doc,
      input,
      { x: CONTENT.left, y: f.y, w: CONTENT_WIDTH, h },
      { span: { from: e.start - pad, to: e.end + pad }, legend: false },
    );
    f.y += h + 8;
  });
}

function alarmCard(f: Flow, a: ReportAlarm, n: number): void {
  const { doc } = f;
  const x = CONTENT.left;
  const w = CONTENT_WIDTH;
  const sevColor =
    a.severity === 'critical' ? COLOR.bad : a.severity === 'warning' ? COLOR.warn : COLOR.accent;
  const times = [
    `Started ${humanUtc(a.startedAt)}`,
    `raised ${humanUtc(a.raisedAt)}`,
    a.resolvedAt === undefined ? 'not resolved' : `resolved ${humanUtc(a.resolvedAt)}`,
  ].join('  ·  ');
  doc.font(FONT.regular).fontSize(8.5);
  const disproof = a.disproved ? `\nDisproved ${humanUtc(a.disproved.at)}: ${a.disproved.reason}` : '';
  const msg = pdfClip(`${a.message}${disproof}`);
  const msgH = doc.heightOfString(msg, { width: w - 20 });
  let ackH = 0;
  let ackLines: [string, string][] = [];
  if (a.ack) {
    ackLines = [
      ['Meaning', a.ack.meaning],
      ['Reason', a.ack.reason],
    ];
    doc.fontSize(8.5);
    ackH =
      30 +
      ackLines.reduce((acc, [, v]) => acc + doc.heightOfString(pdfClip(v) || '-', { width: w - 100 }) + 3, 0);
  } else {
    ackH = 18;
  }
  const h = 36 + msgH + ackH + 6;
  ensure(f, h + 8);
  const y0 = f.y;
  doc.lineWidth(0.6).roundedRect(x, y0, w, h, 3).stroke(COLOR.rule);
  doc.rect(x, y0, 3, h).fill(sevColor);
  // title line: number, severity pill, rule, state
  doc
    .font(FONT.bold)
    .fontSize(9.5)
    .fillColor(COLOR.ink)
    .text(`A${n}`, x + 10, y0 + 8, { lineBreak: false });
  doc.font(FONT.bold).fontSize(6.5);
  const sev = a.severity.toUpperCase();
  const pw = doc.widthOfString(sev) + 10;
  doc.roundedRect(x + 30, y0 + 7, pw, 11, 5.5).fill(sevColor);
  doc.fillColor('#ffffff').text(sev, x + 35, y0 + 9.8, { lineBreak: false });
  doc
    .font(FONT.bold)
    .fontSize(9.5)
    .fillColor(COLOR.ink)
    .text(fitLine(doc, a.tier ? `${a.rule} (${a.tier} tier)` : a.rule, w / 2), x + 36 + pw, y0 + 8, {
      lineBreak: false,
    });
  const state = pdfLine(
    `${a.state}${a.disproved ? '  ·  disproved' : ''}${a.detectedLate ? '  ·  detected late' : ''}`,
  );
  doc.font(FONT.regular).fontSize(8).fillColor(COLOR.muted);
  doc.text(state, x + w - 10 - doc.widthOfString(state), y0 + 9, { lineBreak: false });
  doc
    .font(FONT.regular)
    .fontSize(7.5)
    .fillColor(COLOR.muted)
    .text(pdfLine(times), x + 10, y0 + 22, { width: w - 20, lineBreak: false });
  doc
    .font(FONT.regular)
    .fontSize(8.5)
    .fillColor(COLOR.ink)
    .text(msg, x + 10, y0 + 34, { width: w - 20 });
  let y = y0 + 36 + msgH + 2;
  if (a.ack) {
    doc.roundedRect(x + 10, y, w - 20, ackH - 4, 2).fill(COLOR.panel);
    doc
      .font(FONT.bold)
      .fontSize(6.5)
      .fillColor(COLOR.faint)
      .text('ACKNOWLEDGED WITH ELECTRONIC SIGNATURE', x + 18, y + 6, {
        lineBreak: false,
        characterSpacing: 0.4,
      });
    doc
      .font(FONT.bold)
      .fontSize(8.5)
      .fillColor(COLOR.ink)
      .text(fitLine(doc, `Signed by ${a.ack.by}  ·  ${humanUtc(a.ack.at)}`, w - 36), x + 18, y + 15, {
        lineBreak: false,
      });
    y += 28;
    for (const [label, value] of ackLines) {
      doc
        .font(FONT.bold)
        .fontSize(7.5)
        .fillColor(COLOR.muted)
        .text(label, x + 18, y + 0.8, { lineBreak: false });
      doc.font(FONT.regular).fontSize(8.5).fillColor(COLOR.ink);
      const t = pdfClip(value) || '-';
      doc.text(t, x + 80, y, { width: w - 100 });
      y += doc.heightOfString(t, { width: w - 100 }) + 3;
    }
  } else {
    doc
      .font(FONT.bold)
      .fontSize(8)
      .fillColor(COLOR.warn)
      .text('Not acknowledged', x + 10, y + 2, { lineBreak: false });
  }
  f.y = y0 + h + 8;
}

function alarmsSection(f: Flow): void {
  heading(f, 'Alarms', 'numbered as marked on the chart');
  if (f.input.alarms.length === 0) {
    para(f, 'No alarms were raised for this shipment.', { color: COLOR.muted, font: FONT.italic });
    return;
  }
  f.input.alarms.forEach((a, i) => {
    alarmCard(f, a, i + 1);
  });
}

function custodySection(f: Flow): void {
  const { doc, input } = f;
  heading(f, 'Chain of custody', 'from the hash-chained audit log');
  if (input.custody.length === 0) {
    para(f, 'No custody events recorded.', { color: COLOR.muted, font: FONT.italic });
    return;
  }
  const lineX = CONTENT.left + 92;
  const textX = lineX + 14;
  const textW = CONTENT.right - textX;
  let prevDot: { page: number; y: number } | undefined;
  input.custody.forEach((c) => {
    const head = pdfLine(`${c.action}  ·  ${c.actor}`);
    const detail = pdfClip(c.detail);
    doc.font(FONT.regular).fontSize(8);
    const dh = detail ? doc.heightOfString(detail, { width: textW }) : 0;
    const h = Math.max(24, 13 + dh + 8);
    ensure(f, h);
    const y = f.y;
    const iso = new Date(c.at).toISOString();
    doc
      .font(FONT.bold)
      .fontSize(8)
      .fillColor(COLOR.ink)
      .text(iso.slice(0, 10), CONTENT.left, y, { width: 80, align: 'right', lineBreak: false });
    doc
      .font(FONT.regular)
      .fontSize(7.5)
      .fillColor(COLOR.muted)
      .text(`${iso.slice(11, 19)} UTC`, CONTENT.left, y + 10, {
        width: 80,
        align: 'right',
        lineBreak: false,
      });
    // the spine joins this event to the one before it when both are on this page
    const page = doc.bufferedPageRange().count;
    if (prevDot && prevDot.page === page) {
      doc
        .lineWidth(1)
        .strokeColor(COLOR.rule)
        .moveTo(lineX, prevDot.y + 3.2)
        .lineTo(lineX, y + 4 - 3.2)
        .stroke();
    }
    prevDot = { page, y: y + 4 };
    doc.circle(lineX, y + 4, 3.2).fill(COLOR.accent);
    doc
      .font(FONT.bold)
      .fontSize(8.5)
      .fillColor(COLOR.ink)
      .text(fitLine(doc, head, textW), textX, y, { lineBreak: false });
    if (detail)
      doc
        .font(FONT.regular)
        .fontSize(8)
        .fillColor(COLOR.muted)
        .text(detail, textX, y + 12, { width: textW });
    f.y = y + h;
  });
  f.y += 4;
}

function deliverySection(f: Flow): void {
  const s = f.input.shipment;
  heading(f, 'Proof of delivery');
  if (!s.delivery) {
    para(f, 'The shipment has not been delivered: no delivery token has been confirmed.', {
      color: COLOR.muted,
      font: FONT.italic,
    });
  } else {
    facts(f, [
      ['Delivered at', humanUtc(s.delivery.at)],
      ['Received by', s.delivery.by],
      ['Last GPS fix', latLonText(s.delivery.lat, s.delivery.lon)],
    ]);
  }
  const d = s.decision;
  heading(f, 'Quality decision');
  if (!d) {
    para(f, 'No release or quarantine decision has been recorded.', {
      color: COLOR.muted,
      font: FONT.italic,
    });
    return;
  }
  facts(f, [
    ['Decision', d.state === 'released' ? 'Released' : 'Quarantined'],
    ['Signed by', d.by],
    ['Signed at', humanUtc(d.at)],
  ]);
  facts(f, [['Reason', d.reason]], 1);
}

function verificationSection(f: Flow, options: PdfReportOptions, contentHashHex: string): void {
  const { doc } = f;
  const x = CONTENT.left;
  const w = CONTENT_WIDTH;
  const lines = [
    'The verification code identifies the content of this report: it is taken from the SHA-256 hash of the ' +
      'report data, and the CSV export of the same data carries the same code.',
    `This file is signed with Ed25519 by the Vigil report-signing key ${options.signingKey ?? '(unsigned draft)'}; ` +
      'the signature is appended after the end of the PDF. Any change to the file, however small, makes ' +
      '"vigil report verify <file>" report it as TAMPERED.',
    ...(options.auditCheckpoint
      ? [
          `Audit log checkpoint at generation (signed; compare with "vigil audit verify"): ${options.auditCheckpoint}`,
        ]
      : []),
  ];
  doc.font(FONT.regular).fontSize(8);
  const textH = lines.reduce((a, l) => a + doc.heightOfString(l, { width: w - 210 }) + 4, 0);
  const h = Math.max(86, 24 + textH) + 18;
  heading(f, 'Verification');
  ensure(f, h);
  const y = f.y;
  doc.lineWidth(1).roundedRect(x, y, w, h, 4).stroke(COLOR.accent);
  doc
    .font(FONT.bold)
    .fontSize(6.5)
    .fillColor(COLOR.faint)
    .text('VERIFICATION CODE', x + 14, y + 14, { lineBreak: false, characterSpacing: 0.4 });
  doc
    .font(FONT.monoBold)
    .fontSize(13)
    .fillColor(COLOR.ink)
    .text(f.code, x + 14, y + 27, { lineBreak: false });
  doc
    .font(FONT.regular)
    .fontSize(7)
    .fillColor(COLOR.muted)
    .text(`Generated ${humanUtc(f.input.generatedAt)}`, x + 14, y + 48, { lineBreak: false });
  doc.text(fitLine(doc, `for ${f.input.generatedBy}`, 170), x + 14, y + 57, { lineBreak: false });
  let ty = y + 14;
  doc.font(FONT.regular).fontSize(8).fillColor(COLOR.ink);
  for (const l of lines) {
    doc.text(l, x + 196, ty, { width: w - 210 });
    ty += doc.heightOfString(l, { width: w - 210 }) + 4;
  }
  doc
    .font(FONT.mono)
    .fontSize(6.5)
    .fillColor(COLOR.muted)
    .text(`content SHA-256 ${contentHashHex}`, x + 14, y + h - 14, { lineBreak: false });
  f.y = y + h + 6;
}

function footers(doc: Doc, input: ShipmentReportInput, code: string): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const y = PAGE.height - 40;
    doc
      .lineWidth(0.5)
      .strokeColor(COLOR.rule)
      .moveTo(CONTENT.left, y - 6)
      .lineTo(CONTENT.right, y - 6)
      .stroke();
    doc
      .font(FONT.regular)
      .fontSize(7)
      .fillColor(COLOR.muted)
      .text(
        fitLine(
          doc,
          `Vigil shipment report  ·  ${input.shipment.id}  ·  verification code ${code}`,
          CONTENT_WIDTH - 80,
        ),
        CONTENT.left,
        y,
        { width: CONTENT_WIDTH - 80, lineBreak: false },
      );
    const pg = `Page ${i - range.start + 1} of ${range.count}`;
    doc.text(pg, CONTENT.right - doc.widthOfString(pg), y, { lineBreak: false });
  }
}

/** The unsigned PDF report of one shipment. */
export function renderShipmentPdf(input: ShipmentReportInput, options: PdfReportOptions = {}): Buffer {
  const hash = reportContentHash(input);
  const code = formatVerificationCode(hash);
  const at = new Date(input.generatedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 0,
    bufferPages: true,
    compress: true,
    info: {
      Title: pdfLine(`Shipment temperature report ${input.shipment.id}`),
      Author: 'Vigil',
      Subject: pdfLine(`Shipment ${input.shipment.id}, verification code ${code}`),
      Keywords: pdfLine(`vigil shipment report; verification code ${code}`),
      Creator: 'Vigil',
      Producer: 'Vigil report (PDFKit)',
      CreationDate: at,
      ModDate: at,
      // a custom key (ISO 32000-1 §14.3.3 allows them) so `vigil report verify` can print the code
      VigilVerificationCode: code,
      // and the key it says signed it, which `vigil report verify` compares with the real signer
      ...(options.signingKey ? { VigilSigningKey: options.signingKey } : {}),
    } as PDFKit.DocumentInfo,
  });
  const f: Flow = { doc, input, code, y: CONTENT.top };
  titleBlock(f);
  verdict(f);
  shipmentFacts(f);
  f.y += 2;
  heading(f, 'Temperature');
  const chartH = 236;
  ensure(f, chartH);
  drawTemperatureChart(doc, input, { x: CONTENT.left, y: f.y, w: CONTENT_WIDTH, h: chartH });
  f.y += chartH + 10;
  heading(f, 'Summary', 'MKT per USP <1160>, time-weighted');
  summarySection(f);
  heading(f, 'Batches');
  batchesTable(f);
  excursionsSection(f);
  alarmsSection(f);
  custodySection(f);
  deliverySection(f);
  verificationSection(f, options, hash.toString('hex'));
  footers(doc, input, code);
  doc.end();
  // pdfkit pushes every byte synchronously during end(); read them straight off the stream buffer
  const chunks: Buffer[] = [];
  for (let c = doc.read() as Buffer | null; c !== null; c = doc.read() as Buffer | null) chunks.push(c);
  return Buffer.concat(chunks);
}
