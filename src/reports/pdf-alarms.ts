/** The alarms of the PDF report: one card each, with its electronic signature or its disproof. */
import { humanUtc } from './format.ts';
import { FONT } from './pdf-fonts.ts';
import { ensure, type Flow, fitLine, heading, para } from './pdf-layout.ts';
import { COLOR, CONTENT, CONTENT_WIDTH } from './pdf-style.ts';
import { pdfClip, pdfLine } from './pdf-text.ts';
import type { ReportAlarm } from './report-model.ts';

/** The measured parts of an alarm card of width `w`. */
function cardLayout(doc: PDFKit.PDFDocument, a: ReportAlarm, w: number) {
  doc.font(FONT.regular).fontSize(8.5);
  const disproof = a.disproved ? `\nDisproved ${humanUtc(a.disproved.at)}: ${a.disproved.reason}` : '';
  const msg = pdfClip(`${a.message}${disproof}`);
  const msgH = doc.heightOfString(msg, { width: w - 20 });
  const ackLines: [string, string][] = a.ack
    ? [
        ['Meaning', a.ack.meaning],
        ['Reason', a.ack.reason],
      ]
    : [];
  const ackH = a.ack
    ? 30 +
      ackLines.reduce((acc, [, v]) => acc + doc.heightOfString(pdfClip(v) || '-', { width: w - 100 }) + 3, 0)
    : 18;
  return { msg, msgH, ackLines, ackH, h: 36 + msgH + ackH + 6 };
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
  const { msg, msgH, ackLines, ackH, h } = cardLayout(doc, a, w);
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

export function alarmsSection(f: Flow): void {
  const first = f.input.alarms[0];
  // the heading goes with its first card
  if (first) ensure(f, 8 + 15 + 6 + cardLayout(f.doc, first, CONTENT_WIDTH).h + 8);
  heading(f, 'Alarms', 'numbered as marked on the chart');
  if (f.input.alarms.length === 0) {
    para(f, 'No alarms were raised for this shipment.', { color: COLOR.muted, font: FONT.italic });
    return;
  }
  f.input.alarms.forEach((a, i) => {
    alarmCard(f, a, i + 1);
  });
}
