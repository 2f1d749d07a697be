/** The first page of the PDF report: title, verdict, shipment facts, summary figures and batches. */
import { durationShort, durationText, humanUtc, num, tempText, utcDate } from './format.ts';
import { FONT } from './pdf-fonts.ts';
import { type Flow, facts, fitLine, table, tiles } from './pdf-layout.ts';
import { COLOR, CONTENT, CONTENT_WIDTH, PAGE } from './pdf-style.ts';
import { pdfClip, pdfLine } from './pdf-text.ts';
import {
  alarmCountText,
  backfillCount,
  budgetUse,
  limitText,
  policyLines,
  rangeText,
  reportSpan,
} from './report-facts.ts';

export function titleBlock(f: Flow): void {
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
  const period = span ? `${utcDate(span.from)} to ${utcDate(span.to)}` : 'no readings';
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

/** `above 11 h 18 min`, `↑ 11 h 54 min, ↓ 40 min`, `never`: what a small tile line can hold. */
function outOfRangeSub(aboveMs: number, belowMs: number): string {
  if (aboveMs > 0 && belowMs > 0) return `↑ ${durationShort(aboveMs)}, ↓ ${durationShort(belowMs)}`;
  if (aboveMs > 0) return `above ${durationShort(aboveMs)}`;
  if (belowMs > 0) return `below ${durationShort(belowMs)}`;
  return 'never';
}

/** One-line verdict so quality sees the outcome before the details. */
export function verdict(f: Flow): void {
  const { doc, input } = f;
  const { summary, shipment } = input;
  const p = shipment.profile;
  const outMs = summary.timeAboveMs + summary.timeBelowMs;
  const critical = input.alarms.filter((a) => a.severity === 'critical').length;
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
    detail = `${alarmCountText(input.alarms)}. MKT ${tempText(summary.mktC)}.`;
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

export function shipmentFacts(f: Flow): void {
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

export function batchesTable(f: Flow): void {
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

export function summarySection(f: Flow): void {
  const { input } = f;
  const { summary: s } = input;
  const p = input.shipment.profile;
  const outMs = s.timeAboveMs + s.timeBelowMs;
  tiles(f, [
    {
      label: 'Mean kinetic temp.',
      value: tempText(s.mktC),
      sub: 'ΔH/R 10 000 K',
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
      sub: outOfRangeSub(s.timeAboveMs, s.timeBelowMs),
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
      sub:
        input.alarms.length === 0
          ? 'none raised'
          : `${input.alarms.filter((a) => a.ack).length} acknowledged`,
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
        limitText(u.budget.kind, u.budget.limitC, u.budget.inclusive),
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
