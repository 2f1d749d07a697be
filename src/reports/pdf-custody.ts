/** The chain of custody, proof of delivery and quality decision of the PDF report. */
import { humanUtc, latLonText } from './format.ts';
import { FONT } from './pdf-fonts.ts';
import { ensure, type Flow, facts, fitLine, heading, para } from './pdf-layout.ts';
import { COLOR, CONTENT } from './pdf-style.ts';
import { pdfClip, pdfLine } from './pdf-text.ts';
import { readableDetail } from './report-facts.ts';

export function custodySection(f: Flow): void {
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
    const detail = pdfClip(readableDetail(c.detail, input.alarms));
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

export function deliverySection(f: Flow): void {
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
