import { z } from 'zod';
import type { AccountService } from '../../auth/accounts.ts';
import { alarmPolicyInputSchema } from '../../coldchain/alarm-policy.ts';
import { VigilError } from '../../errors.ts';
import { timeInput } from '../../iso-time.ts';
import { DEVICE_ID_RE } from '../../protocol/device-id.ts';
import { generateShipmentReport, REPORT_MEDIA_TYPES, type ReportSigner } from '../../reports/index.ts';
import {
  batchSchema,
  DECIDABLE_STATES,
  DECISION_MEANINGS,
  DECISION_REASON_MAX,
  DECISION_STATES,
  placeSchema,
  SHIPMENT_STATES,
} from '../../shipments/shipment.ts';
import { type DetailDeps, loadShipmentDetail, shipmentReportInput } from '../../shipments/shipment-detail.ts';
import { SHIPMENT_ID_RE } from '../../shipments/shipment-id.ts';
import type { ShipmentService } from '../../shipments/shipment-service.ts';
import { shipmentDetailView, shipmentView } from '../../shipments/shipment-view.ts';
import { actorOf } from '../access.ts';
import type { RoutePlugin } from '../api-deps.ts';
import type { AlarmList, AuditLog } from '../ports.ts';
import { shipmentDetailSchema, shipmentSchema } from '../shipment-schemas.ts';
import { principalOf } from './auth.ts';

const idParams = z.strictObject({ id: z.string().regex(SHIPMENT_ID_RE, 'must be a shipment id') });

const PRINTABLE = /^[^\u0000-\u0008\u000b-\u001f\u007f]*$/;

/**
 * Shipments: list and detail (any reader), create (shipments.manage: operator, admin), delivery
 * with the token (shipments.deliver: receiver, admin), quality's release or quarantine with an
 * electronic signature (shipments.decide: quality, admin), and the signed report.
 */
export function shipmentsRoutes(p: {
  service: Pick<ShipmentService, 'list' | 'get' | 'custody' | 'create' | 'deliver' | 'decide'>;
  signer: Pick<AccountService, 'verifySignature'>;
  readings: DetailDeps['store'];
  alarms: AlarmList;
  audit: AuditLog;
  /** The report signing key (created on first use). */
  reportSigner: () => ReportSigner;
  /** The newest signed audit checkpoint as one line, printed in reports; null when none yet. */
  auditCheckpoint?: () => Promise<string | null>;
  clock: () => number;
}): RoutePlugin {
  const { service, signer, audit, clock } = p;
  const detailDeps: DetailDeps = { service, store: p.readings, alarms: p.alarms, clock };
  return async (app) => {
    app.get(
      '/api/v1/shipments',
      {
        config: { access: 'shipments.read' },
        schema: {
          summary: 'Shipments, newest created first',
          tags: ['shipments'],
          querystring: z.strictObject({
            state: z.enum(SHIPMENT_STATES).optional(),
            device: z.string().regex(DEVICE_ID_RE).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
          response: { 200: z.object({ shipments: z.array(shipmentSchema) }) },
        },
      },
      async (req) => {
        const q = req.query;
        const list = await service.list({
          ...(q.state !== undefined ? { state: q.state } : {}),
          ...(q.device !== undefined ? { deviceId: q.device } : {}),
          limit: q.limit,
        });
        return { shipments: list.map(shipmentView) };
      },
    );

    app.get(
      '/api/v1/shipments/:id',
      {
        config: { access: 'shipments.read' },
        schema: {
          summary:
            'One shipment with its cold-chain record: MKT, time out of range, excursions, alarms, custody',
          tags: ['shipments'],
          params: idParams,
          response: { 200: shipmentDetailSchema },
        },
      },
      async (req) => shipmentDetailView(await loadShipmentDetail(detailDeps, req.params.id)),
    );

    app.post(
      '/api/v1/shipments',
      {
        config: { access: 'shipments.manage' },
        schema: {
          summary: 'Create a planned shipment bound to a logger device (audited)',
          tags: ['shipments'],
          body: z.strictObject({
            deviceId: z.string().min(1).max(64),
            profile: z.union([z.string().max(32), z.record(z.string(), z.unknown())]).optional(),
            batches: z.array(batchSchema).max(100).optional(),
            origin: placeSchema.optional(),
            destination: placeSchema.optional(),
            plannedRoute: z
              .array(z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }))
              .max(10_000)
              .optional(),
            /** Expected arrival: ISO 8601 (or, as before, epoch milliseconds). */
            eta: timeInput.optional(),
            /** This shipment's own alarm tiers, hysteresis and merge gap (docs/alarms.md). */
            alarmPolicy: alarmPolicyInputSchema.optional(),
          }),
          response: { 201: z.object({ shipment: shipmentSchema }) },
        },
      },
      async (req, reply) => {
        const s = await service.create(
          req.body as Parameters<ShipmentService['create']>[0],
          actorOf(principalOf(req)),
        );
        return reply.code(201).send({ shipment: shipmentView(s) });
      },
    );

    app.post(
      '/api/v1/shipments/:id/deliver',
      {
        config: { access: 'shipments.deliver' },
        schema: {
          summary:
            'Confirm delivery with the delivery token (proof of delivery; wrong tokens are rate-limited)',
          description:
            'Wrong token: 403 VIGIL_ERR_DELIVERY_TOKEN (audited, without the token). 5 wrong tokens in 15 min for ' +
            'the shipment or the caller: 429 VIGIL_ERR_LOCKED with Retry-After. Not in transit: 409.',
          tags: ['shipments'],
          params: idParams,
          // Bounds only: the token is compared as given (trimmed) and never echoed or logged.
          body: z.strictObject({ token: z.string().min(1).max(128) }),
          response: { 200: z.object({ shipment: shipmentSchema }) },
        },
      },
      async (req) => {
        const s = await service.deliver(req.params.id, req.body.token, actorOf(principalOf(req)));
        return { shipment: shipmentView(s) };
      },
    );

    app.post(
      '/api/v1/shipments/:id/decision',
      {
        config: { access: 'shipments.decide' },
        schema: {
          summary:
            'Release or quarantine a shipment with an electronic signature (password and TOTP re-entered)',
          description:
            'Wrong password: 401 VIGIL_ERR_AUTH; wrong or reused TOTP code: 401 VIGIL_ERR_TOTP (both count towards ' +
            'the sign-in lockout, 429). Not delivered or closed (or already released): 409. API tokens cannot sign.',
          tags: ['shipments'],
          params: idParams,
          body: z.strictObject({
            state: z.enum(DECISION_STATES),
            reason: z.string().trim().min(1).max(DECISION_REASON_MAX).regex(PRINTABLE),
            meaning: z.enum(DECISION_MEANINGS),
            password: z.string().min(1).max(1024),
            totp: z.string().min(1).max(16),
          }),
          response: { 200: z.object({ shipment: shipmentSchema }) },
        },
      },
      async (req) => {
        const principal = principalOf(req);
        // Refuse what cannot succeed before spending the signer's TOTP code on it.
        const current = await service.get(req.params.id);
        if (!DECIDABLE_STATES.includes(current.state)) {
          throw new VigilError('VIGIL_ERR_SHIPMENT_STATE', current.state);
        }
        const who = await signer.verifySignature(
          principal,
          { password: req.body.password, totp: req.body.totp },
          { address: req.ip },
        );
        const s = await service.decide(
          current.id,
          { state: req.body.state, reason: req.body.reason, meaning: req.body.meaning },
          actorOf(principal),
          who,
        );
        return { shipment: shipmentView(s) };
      },
    );

    app.get(
      '/api/v1/shipments/:id/report',
      {
        config: { access: 'shipments.read' },
        schema: {
          summary: 'The signed shipment report (PDF or CSV); verify with `vigil report verify FILE`',
          tags: ['shipments'],
          params: idParams,
          querystring: z.strictObject({ format: z.enum(['pdf', 'csv']).default('pdf') }),
        },
      },
      async (req, reply) => {
        const actor = actorOf(principalOf(req));
        const d = await loadShipmentDetail(detailDeps, req.params.id);
        const now = clock();
        const bytes = generateShipmentReport(
          shipmentReportInput(d, now, actor),
          req.query.format,
          p.reportSigner(),
          {
            auditCheckpoint: (await p.auditCheckpoint?.()) ?? null,
          },
        );
        await audit.appendAudit({
          ts: now,
          actor,
          action: 'shipment.report',
          object: d.shipment.id,
          detail: { format: req.query.format, bytes: bytes.length, state: d.shipment.state },
        });
        return reply
          .header('content-type', REPORT_MEDIA_TYPES[req.query.format])
          .header('content-disposition', `attachment; filename="${d.shipment.id}.${req.query.format}"`)
          .send(bytes);
      },
    );
  };
}
