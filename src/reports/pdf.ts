/**
 * The PDF shipment report (pdfkit, embedded DejaVu subsets, vector graphics only): title and
 * status, shipment facts and batches, the temperature chart, a summary (MKT, extremes, time out
 * of range, budgets), excursions with a zoomed chart of each, alarms with their acknowledgements
 * and electronic signatures, the chain of custody, proof of delivery, the quality decision and a
 * verification block. The sections live in pdf-*.ts; this file puts them in order.
 *
 * Deterministic: the same input gives the same bytes. Every date in the file comes from
 * `generatedAt` (pdfkit's CreationDate, and with it the trailer /ID, which pdfkit derives from the
 * info dictionary), nothing reads the clock or randomness, streams are deflated by zlib (stable
 * for one zlib build), and the font subsets depend only on the text drawn (pdf-fonts.ts).
 * The signature line is appended afterwards by signing.ts.
 */
import PDFDocument from 'pdfkit';
import { alarmsSection } from './pdf-alarms.ts';
import { drawTemperatureChart } from './pdf-chart.ts';
import { custodySection, deliverySection } from './pdf-custody.ts';
import { excursionsSection } from './pdf-excursions.ts';
import { registerReportFonts } from './pdf-fonts.ts';
import { ensure, type Flow, heading, type PdfReportOptions } from './pdf-layout.ts';
import { CONTENT, CONTENT_WIDTH } from './pdf-style.ts';
import { batchesTable, shipmentFacts, summarySection, titleBlock, verdict } from './pdf-summary.ts';
import { footers, verificationSection } from './pdf-verification.ts';
import type { ShipmentReportInput } from './report-model.ts';
import { formatVerificationCode, reportContentHash } from './verification-code.ts';

export type { PdfReportOptions } from './pdf-layout.ts';

/** One line for the info dictionary, which PDF readers show as the document's title. */
const infoLine = (text: string) => text.replace(/\s+/g, ' ').trim();

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
    font: null as unknown as string, // no standard font is loaded: every text uses the embedded ones
    info: {
      Title: infoLine(`Shipment temperature report ${input.shipment.id}`),
      Author: 'Vigil',
      Subject: infoLine(`Shipment ${input.shipment.id}, verification code ${code}`),
      Keywords: infoLine(`vigil shipment report; verification code ${code}`),
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
  registerReportFonts(doc);
  const f: Flow = { doc, input, options, code, y: CONTENT.top };
  titleBlock(f);
  verdict(f);
  shipmentFacts(f);
  f.y += 2;
  heading(f, 'Temperature');
  const chartH = 236;
  ensure(f, chartH);
  drawTemperatureChart(doc, input, { x: CONTENT.left, y: f.y, w: CONTENT_WIDTH, h: chartH });
  f.y += chartH + 10;
  heading(f, 'Summary', 'MKT per USP <1160>, time-weighted, data gaps excluded');
  summarySection(f);
  heading(f, 'Batches');
  batchesTable(f);
  excursionsSection(f);
  alarmsSection(f);
  custodySection(f);
  deliverySection(f);
  verificationSection(f, hash.toString('hex'));
  footers(f);
  doc.end();
  // pdfkit pushes every byte synchronously during end(); read them straight off the stream buffer
  const chunks: Buffer[] = [];
  for (let c = doc.read() as Buffer | null; c !== null; c = doc.read() as Buffer | null) chunks.push(c);
  return Buffer.concat(chunks);
}
