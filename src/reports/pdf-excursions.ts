/** The excursions of the PDF report: the table, a zoomed chart of each, and the data gaps. */
import { durationText, num, tempText, utcSeconds } from './format.ts';
import { drawTemperatureChart } from './pdf-chart.ts';
import { FONT } from './pdf-fonts.ts';
import { ensure, type Flow, heading, table } from './pdf-layout.ts';
import { COLOR, CONTENT, CONTENT_WIDTH } from './pdf-style.ts';

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
