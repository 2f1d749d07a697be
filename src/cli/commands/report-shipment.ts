import { checkpointLine } from '../../audit/audit-checkpoint.ts';
import { writeFileAtomic } from '../../data-dir/context.ts';
import { generateShipmentReport, loadOrCreateReportSigner } from '../../reports/index.ts';
import { loadShipmentDetail, shipmentReportInput } from '../../shipments/shipment-detail.ts';
import { ShipmentService } from '../../shipments/shipment-service.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import { type CliIo, usage } from '../io.ts';

const USAGE = 'usage: vigil report shipment ID [--format pdf|csv] --out FILE';

/** `vigil report shipment ID --format pdf|csv --out FILE`: the signed report of one shipment. */
export async function reportShipmentCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    format: { type: 'string', default: 'pdf' },
    out: { type: 'string' },
  });
  const [sub, id, ...extra] = positionals;
  if (sub !== 'shipment' || !id || extra.length > 0 || !values.out) usage(USAGE);
  const out = values.out;
  const format = values.format;
  if (format !== 'pdf' && format !== 'csv') usage('--format must be pdf or csv');
  return withDataDir(
    values['data-dir'],
    async (ctx) => {
      const service = new ShipmentService({
        shipments: ctx.shipmentStore,
        store: ctx.store,
        master: ctx.master,
        clock: ctx.clock,
        logger: ctx.logger,
      });
      const detail = await loadShipmentDetail(
        { service, store: ctx.store, alarms: ctx.alarmStore, clock: ctx.clock },
        id,
      );
      const now = ctx.clock();
      const signer = loadOrCreateReportSigner(ctx.paths.pkiDir, ctx.master);
      const cp = await ctx.store.latestAuditCheckpoint();
      const bytes = generateShipmentReport(shipmentReportInput(detail, now, 'cli'), format, signer, {
        auditCheckpoint: cp ? checkpointLine(cp) : null,
      });
      writeFileAtomic(out, bytes);
      await ctx.store.appendAudit({
        ts: now,
        actor: 'cli',
        action: 'shipment.report',
        object: detail.shipment.id,
        detail: { format, bytes: bytes.length, state: detail.shipment.state },
      });
      io.out(`wrote ${out} (${format}, ${bytes.length} bytes, signed by ${signer.fingerprint})`);
      return 0;
    },
    { env: io.env },
  );
}
