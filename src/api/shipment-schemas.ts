/**
 * Shipments as the API serialises them (`GET /api/v1/shipments`, `GET /api/v1/shipments/:id`):
 * part of the contract of src/api/schemas.ts, imported by the dashboard as types.
 */
import { z } from 'zod';
import { alarmSchema } from '../alarms/alarm-view.ts';
import { isoTime } from '../iso-time.ts';
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
  eta: isoTime.nullable(),
  /** The device's dispatch event: its own timestamp and the batch id (never the token or its hash). */
  dispatch: z.object({ at: isoTime, batchId: z.string(), receivedAt: isoTime }).nullable(),
  delivery: z
    .object({
      at: isoTime,
      by: z.string(),
      lat: z.number().nullable(),
      lon: z.number().nullable(),
      fixAt: isoTime.nullable(),
    })
    .nullable(),
  closedAt: isoTime.nullable(),
  decision: z
    .object({
      state: z.enum(DECISION_STATES),
      by: z.string(),
      at: isoTime,
      reason: z.string(),
      meaning: z.string(),
    })
    .nullable(),
  createdAt: isoTime,
  createdBy: z.string(),
  updatedAt: isoTime,
});

export type ShipmentView = z.infer<typeof shipmentSchema>;

export const excursionSchema = z.object({
  kind: z.enum(['above', 'below']),
  start: isoTime,
  end: isoTime,
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
  trip: z.object({ from: isoTime, to: isoTime }).nullable(),
  summary: z.object({
    readings: z.number(),
    truncated: z.boolean(),
    minC: z.number().nullable(),
    maxC: z.number().nullable(),
    mktC: z.number().nullable(),
    timeOutOfRange: z.object({ aboveMs: z.number(), belowMs: z.number() }),
    excursions: z.array(excursionSchema),
    gaps: z.array(z.object({ start: isoTime, end: isoTime, durationMs: z.number() })),
  }),
  alarms: z.array(alarmSchema),
  custody: z.array(
    z.object({
      at: isoTime,
      action: z.string(),
      actor: z.string(),
      detail: z.record(z.string(), z.unknown()),
    }),
  ),
});

export type ShipmentDetailView = z.infer<typeof shipmentDetailSchema>;
