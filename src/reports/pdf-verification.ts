/** The verification block of the PDF report and the footer of every page. */
import { humanUtc } from './format.ts';
import { FONT } from './pdf-fonts.ts';
import { ensure, type Flow, fitLine, heading } from './pdf-layout.ts';
import { COLOR, CONTENT, CONTENT_WIDTH, PAGE } from './pdf-style.ts';
import { hasUndrawable } from './pdf-text.ts';
import type { ShipmentReportInput } from './report-model.ts';

/** True when some text of the input (not the readings, which are numbers) prints as code points. */
function hasUndrawableText(input: ShipmentReportInput): boolean {
  const walk = (v: unknown): boolean =>
    typeof v === 'string'
      ? hasUndrawable(v)
      : Array.isArray(v)
        ? v.some(walk)
        : typeof v === 'object' && v !== null && Object.values(v).some(walk);
  const { readings: _readings, summary: _summary, ...text } = input;
  return walk(text);
}

export function verificationSection(f: Flow, contentHashHex: string): void {
  const { doc, options } = f;
  const x = CONTENT.left;
  const w = CONTENT_WIDTH;
  const lines = [
    'The verification code identifies the content of this report: it is taken from the SHA-256 hash of the ' +
      'report data, and the CSV export of the same data carries the same code. It is written in Crockford ' +
      'base32 (digits and capital letters without I, L, O and U), so it can be read aloud and typed back.',
    `This file is signed with Ed25519 by the Vigil report-signing key ${options.signingKey ?? '(unsigned draft)'}; ` +
      'the signature is appended after the end of the PDF. "vigil report verify <file>" says "report OK" only for ' +
      'the untouched file; any change to it, however small, is reported as TAMPERED.',
    ...(hasUndrawableText(f.input)
      ? [
          'Some characters of this report have no glyph in its font and are shown as their code point, ' +
            'such as [U+65E5]; the CSV export carries the text as entered.',
        ]
      : []),
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
    .fontSize(11)
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

export function footers(f: Flow): void {
  const { doc, input, code } = f;
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
