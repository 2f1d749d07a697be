/** The excursions of the PDF report: the table, a zoomed chart of each, and the data gaps. */
import { durationText, num, tempText, utcSeconds } from './format.ts';
import { drawTemperatureChart } from './pdf-chart.ts';
import { FONT } from './pdf-fonts.ts';
import { ensure, type Flow, fitLine, heading, para, table } from './pdf-layout.ts';
import { COLOR, CONTENT, CONTENT_WIDTH } from './pdf-style.ts';
import { reportSpan } from './report-facts.ts';

export function excursionsSection(f: Flow): void {
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
      { header: 'Start (UTC)', width: 2.3 },
      { header: 'End (UTC)', width: 2.3 },
      { header: 'Duration', width: 1.6, align: 'right' },
      { header: 'Peak', width: 1.1, align: 'right' },
      { header: 'Merged', width: 1, align: 'right' },
    ],
    summary.excursions.map((e, i) => [
      { text: `E${i + 1}`, font: FONT.bold },
      { text: e.kind, color: e.kind === 'above' ? COLOR.aboveInk : COLOR.belowInk, font: FONT.bold },
      utcSeconds(e.start),
      e.ongoing ? `${utcSeconds(e.end)} (ongoing)` : utcSeconds(e.end),
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
        { header: 'Last reading before (UTC)', width: 2 },
        { header: 'First reading after (UTC)', width: 2 },
        { header: 'Length', width: 1.4, align: 'right' },
      ],
      summary.gaps.map((g) => [utcSeconds(g.start), utcSeconds(g.end), durationText(g.durationMs)]),
      '',
    );
  }
}

/**
 * Detail charts are drawn for this many excursions (about four pages); a trip with more (a
 * flapping sensor) lists the rest in the table above and says so.
 */
export const MAX_DETAIL_CHARTS = 20;

/**
 * The window a detail chart shows: the excursion with a margin on each side of a third of its
 * length, at least 15 minutes, so a 5-minute excursion fills a third of the chart and an 11-hour
 * one shows how it began and ended. Kept inside the trip when the trip allows.
 */
export function detailWindow(
  e: { readonly start: number; readonly end: number },
  trip: { readonly from: number; readonly to: number } | null,
): { from: number; to: number } {
  const pad = Math.max(15 * 60_000, (e.end - e.start) / 3);
  const from = trip ? Math.max(trip.from, e.start - pad) : e.start - pad;
  const to = trip ? Math.min(trip.to, e.end + pad) : e.end + pad;
  return to - from >= 60_000 ? { from, to } : { from: e.start - pad, to: e.end + pad };
}

/** `2026-11-10 16:00:00 – 16:38:00`, the date written once when both ends share it. */
function spanText(start: number, end: number): string {
  const a = utcSeconds(start);
  const b = utcSeconds(end);
  return `${a} – ${a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b}`;
}

/** A zoomed chart of each excursion (a 30-day chart shows a 10-hour excursion as a thin stripe). */
function excursionDetails(f: Flow): void {
  const { doc, input } = f;
  const all = input.summary.excursions;
  const list = all.slice(0, MAX_DETAIL_CHARTS);
  const trip = reportSpan(input);
  const h = 150;
  list.forEach((e, i) => {
    ensure(f, h + 22);
    const title = `E${i + 1} in detail`;
    doc
      .font(FONT.bold)
      .fontSize(8.5)
      .fillColor(COLOR.ink)
      .text(title, CONTENT.left, f.y, { lineBreak: false });
    const tw = doc.widthOfString(title);
    doc.font(FONT.regular).fontSize(8).fillColor(COLOR.muted);
    doc.text(
      fitLine(
        doc,
        `${e.kind} the range ${spanText(e.start, e.end)} UTC (${durationText(e.durationMs)}), ${e.kind === 'above' ? 'highest' : 'lowest'} ${tempText(e.peakC, 1)}${e.parts > 1 ? `, ${e.parts} parts merged` : ''}`,
        CONTENT_WIDTH - tw - 10,
      ),
      CONTENT.left + tw + 10,
      f.y + 0.5,
      { lineBreak: false },
    );
    f.y += 12;
    drawTemperatureChart(
      doc,
      input,
      { x: CONTENT.left, y: f.y, w: CONTENT_WIDTH, h },
      { span: detailWindow(e, trip), legend: false },
    );
    f.y += h + 8;
  });
  if (all.length > list.length) {
    para(
      f,
      `Detail charts are drawn for E1 to E${list.length}; E${list.length + 1} to E${all.length} are in the table above.`,
      { color: COLOR.muted, font: FONT.italic },
    );
  }
}
