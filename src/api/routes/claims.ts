import { z } from 'zod';
import { batchView, claimView, quarantineView } from '../../claims/claim-view.ts';
import { VigilError } from '../../errors.ts';
import { DEVICE_ID_RE } from '../../protocol/device-id.ts';
import { actorOf } from '../access.ts';
import type { RoutePlugin } from '../api-deps.ts';
import type { ClaimControl } from '../ports.ts';

const serialParams = z.strictObject({ serial: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$/) });
const ts = z.string().nullable();
const claimSchema = z.object({
  serial: z.string(),
  batch: z.string(),
  profile: z.string(),
  state: z.enum(['pending', 'approved', 'refused']),
  deviceId: z.string().nullable(),
  keyFingerprint: z.string(),
  attempts: z.number().int(),
  receivedAt: ts,
  lastSeenAt: ts,
  address: z.string().nullable(),
  decidedAt: ts,
  decidedBy: z.string().nullable(),
});

/** Provisioning claims: list (with batches and quarantine), approve and reject (admin with MFA). */
export function claimsRoutes(claims: ClaimControl): RoutePlugin {
  return async (app) => {
    app.get(
      '/api/v1/claims',
      {
        config: { access: 'claims.read' },
        schema: {
          summary: 'Provisioning claims, claim-certificate batches and quarantined identities',
          tags: ['claims'],
          response: {
            200: z.object({
              claims: z.array(claimSchema),
              batches: z.array(
                z.object({
                  name: z.string(),
                  certSerial: z.string(),
                  uses: z.number().int(),
                  maxUses: z.number().int(),
                  expiresAt: ts,
                  createdAt: ts,
                  createdBy: z.string(),
                  revokedAt: ts,
                }),
              ),
              quarantine: z.array(
                z.object({
                  cn: z.string(),
                  certSerial: z.string(),
                  attempts: z.number().int(),
                  firstSeen: ts,
                  lastSeen: ts,
                  lastAddress: z.string().nullable(),
                }),
              ),
            }),
          },
        },
      },
      async () => {
        const l = await claims.list();
        return {
          claims: l.claims.map(claimView),
          batches: l.batches.map(batchView),
          quarantine: l.quarantine.map(quarantineView),
        };
      },
    );

    app.post(
      '/api/v1/claims/:serial/approve',
      {
        config: { access: 'claims.approve' },
        schema: {
          summary: 'Approve a pending claim as a new device (admin with MFA, audited)',
          tags: ['claims'],
          params: serialParams,
          body: z.strictObject({ deviceId: z.string().regex(DEVICE_ID_RE, 'must be a device id') }),
          response: { 200: z.object({ claim: claimSchema }) },
        },
      },
      async (req) => {
        if (!req.principal) throw new VigilError('VIGIL_ERR_AUTH');
        const c = await claims.approve(req.params.serial, req.body.deviceId, actorOf(req.principal));
        return { claim: claimView(c) };
      },
    );

    app.post(
      '/api/v1/claims/:serial/reject',
      {
        config: { access: 'claims.approve' },
        schema: {
          summary: 'Reject a pending claim (admin with MFA, audited)',
          tags: ['claims'],
          params: serialParams,
          body: z.strictObject({ reason: z.string().trim().max(500).optional() }).optional(),
          response: { 200: z.object({ claim: claimSchema }) },
        },
      },
      async (req) => {
        if (!req.principal) throw new VigilError('VIGIL_ERR_AUTH');
        const c = await claims.reject(req.params.serial, actorOf(req.principal), req.body?.reason);
        return { claim: claimView(c) };
      },
    );
  };
}
