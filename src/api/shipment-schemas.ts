/**
 * Shipments as the API serialises them (`GET /api/v1/shipments`, `GET /api/v1/shipments/:id`):
 * part of the contract of src/api/schemas.ts, imported by the dashboard as types.
 */
import { z } from 'zod';
import { alarmSchema } from '../alarms/alarm-view.ts';
import { DECISION_STATES, SHIPMENT_STATES } from '../shipments/shipment.ts';

export const profileView = z.union([z.string(), z.record(z.string(), z.unknown())]);

export const shipmentSchema = z.object({
  id: z.string(),
  deviceId: z.string(),
  state: z.enum(SHIPMENT_STATES),
  /** As given: a preset name, or a custom profile object. */
  profile: profileView,
  batches: z.array(
    z.object({ lot: z.string(), product: z.string(), quantity: z.number(), vvm: z.string().optional() }),
  ),
  origin: z.object({ name: z.string(), lat: z.number().optional(), lon: z.number().optional() }),
  destination: z.object({ name: z.string(), lat: z.number().optional(), lon: z.number().optional() }),
  plannedRoute: z.array(z.object({ lat: z.number(), lon: z.number() })).nullable(),
  eta: z.number().nullable(),
  /** The device's dispatch event: its own timestamp and the batch id (never the token or its hash). */
  dispatch: z.object({ at: z.number(), batchId: z.string(), receivedAt: z.number() }).nullable(),
  delivery: z
    .object({
      at: z.number(),
      by: z.string(),
      lat: z.number().nullable(),
      lon: z.number().nullable(),
      fixAt: z.number().nullable(),
    })
    .nullable(),
  closedAt: z.number().nullable(),
  decision: z
    .object({
      state: z.enum(DECISION_STATES),
      by: z.string(),
      at: z.number(),
      reason: z.string(),
      meaning: z.string(),
    })
    .nullable(),
  createdAt: z.number(),
  createdBy: z.string(),
  updatedAt: z.number(),
});

export type ShipmentView = z.infer<typeof shipmentSchema>;

export const excursionSchema = z.object({
  kind: z.enum(['above', 'below']),
  start: z.number(),
  end: z.number(),
  durationMs: z.number(),
  peakC: z.number(),
  ongoing: z.boolean(),
  /** Excursions closer than the profile's merge gap counted as this one (1: none merged). */
  parts: z.number(),
});

const limitAlarmView = z.object({ limitC: z.number(), inclusive: z.boolean(), durationMs: z.number() });
const tierView = z.object({ above: limitAlarmView.nullable(), below: limitAlarmView.nullable() });

/** The shipment's alarm policy (docs/alarms.md) and which of its settings are the shipment's own. */
export const policySchema = z.object({
  warning: tierView,
  critical: tierView,
  regulatory: z.object({
    heat: limitAlarmView,
    freeze: limitAlarmView.nullable(),
    budgets: z.array(
      z.object({
        name: z.string(),
        kind: z.enum(['above', 'below']),
        limitC: z.number(),
        inclusive: z.boolean(),
        budgetMs: z.number(),
      }),
    ),
  }),
  hysteresisC: z.number(),
  mergeGapMinutes: z.number(),
  /** Dotted paths of the settings that differ from the preset's defaults (per-shipment overrides). */
  overrides: z.array(z.string()),
});

export const shipmentDetailSchema = z.object({
  shipment: shipmentSchema,
  profile: z.object({
    name: z.string(),
    preset: z.string(),
    lowerC: z.number(),
    upperC: z.number(),
    policy: policySchema,
  }),
  trip: z.object({ from: z.number(), to: z.number() }).nullable(),
  summary: z.object({
    readings: z.number(),
    truncated: z.boolean(),
    minC: z.number().nullable(),
    maxC: z.number().nullable(),
    mktC: z.number().nullable(),
    timeOutOfRange: z.object({ aboveMs: z.number(), belowMs: z.number() }),
    excursions: z.array(excursionSchema),
    gaps: z.array(z.object({ start: z.number(), end: z.number(), durationMs: z.number() })),
  }),
  alarms: z.array(alarmSchema),
  custody: z.array(
    z.object({
      at: z.number(),
      action: z.string(),
      actor: z.string(),
      detail: z.record(z.string(), z.unknown()),
    }),
  ),
});

export type ShipmentDetailView = z.infer<typeof shipmentDetailSchema>;
