/** Signed shipment reports (PDF and CSV): what the shipments module, the API and the CLI use. */
export { renderShipmentCsv } from './csv.ts';
export { embeddedVerificationCode } from './embedded-code.ts';
export { generateShipmentReport, REPORT_MEDIA_TYPES } from './generate-shipment-report.ts';
export { renderShipmentPdf } from './pdf.ts';
export type {
  ReportAcknowledgement,
  ReportAlarm,
  ReportBatch,
  ReportCustodyEvent,
  ReportReading,
  ReportShipment,
  ShipmentReportInput,
} from './report-model.ts';
export {
  keyFingerprint,
  loadOrCreateReportSigner,
  parsePublicKey,
  type ReportFormat,
  type ReportSigner,
  type ReportVerification,
  readReportPublicKey,
  reportKeyPaths,
  reportSignerFromKey,
  signReport,
  verifyReport,
} from './signing.ts';
export { reportContentHash, verificationCode } from './verification-code.ts';
