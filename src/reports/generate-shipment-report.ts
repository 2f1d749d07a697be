/** The one call the shipments module and the API make: render a report and sign it. */
import { renderShipmentCsv } from './csv.ts';
import { renderShipmentPdf } from './pdf.ts';
import type { ShipmentReportInput } from './report-model.ts';
import { type ReportFormat, type ReportSigner, signReport } from './signing.ts';

/** Media type of each report format, for HTTP responses. */
export const REPORT_MEDIA_TYPES: Readonly<Record<ReportFormat, string>> = {
  pdf: 'application/pdf',
  csv: 'text/csv; charset=utf-8; header=present',
};

/**
 * The signed report of one shipment. Synchronous and deterministic: the same input and key give
 * the same bytes (Ed25519 signatures are deterministic, RFC 8032 §5.1.6).
 */
export function generateShipmentReport(
  input: ShipmentReportInput,
  format: ReportFormat,
  signer: ReportSigner,
  extras: { auditCheckpoint?: string | null } = {},
): Buffer {
  // The audit checkpoint is printed in the report (a copy of it that no database rewrite can
  // reach), outside the content hash: it describes the installation, not the shipment.
  const options = {
    signingKey: signer.fingerprint,
    ...(extras.auditCheckpoint ? { auditCheckpoint: extras.auditCheckpoint } : {}),
  };
  const unsigned = format === 'pdf' ? renderShipmentPdf(input, options) : renderShipmentCsv(input, options);
  return signReport(unsigned, format, signer);
}
