/**
 * What a shipment report is made from: plain data gathered by the caller (the shipments module
 * reads the store, runs `summarize()` and collects alarms and custody), so both renderers stay
 * pure and the same input always gives the same bytes. All times are ms since the Unix epoch
 * and are printed in UTC.
 */
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import type { TemperatureSummary } from '../coldchain/summarize.ts';
import type { Severity } from '../rules/rule.ts';

/** One batch of product in the shipment. */
export interface ReportBatch {
  readonly lot: string;
  readonly product: string;
  readonly quantity: number;
  /** Vaccine vial monitor type (e.g. `VVM2`), when the product carries one. */
  readonly vvm?: string;
}

/** The shipment's own facts. */
export interface ReportShipment {
  readonly id: string;
  /** Lifecycle state at generation time (planned, in_transit, delivered, closed, quarantined, released). */
  readonly state: string;
  readonly profile: TemperatureProfile;
  /** The bound logger. */
  readonly deviceId: string;
  readonly batches: readonly ReportBatch[];
  readonly origin: string;
  readonly destination: string;
  /** The logger's dispatch event: its own timestamp and the batch id it generated. */
  readonly dispatch?: { readonly at: number; readonly batchId: string };
  /** Proof of delivery: who entered the delivery token, when, and the last GPS fix. */
  readonly delivery?: {
    readonly at: number;
    readonly by: string;
    readonly lat?: number;
    readonly lon?: number;
  };
  /** The quality decision, signed electronically. */
  readonly decision?: {
    readonly state: 'released' | 'quarantined';
    readonly by: string;
    readonly at: number;
    readonly reason: string;
  };
}

/** One temperature reading of the trip. */
export interface ReportReading {
  readonly ts: number;
  readonly tempC: number;
  /** True when the reading arrived late (buffered by the logger and sent afterwards). */
  readonly backfill: boolean;
}

/** The electronic signature given when an alarm was acknowledged (21 CFR 11.50: who, when, meaning). */
export interface ReportAcknowledgement {
  readonly by: string;
  readonly at: number;
  readonly reason: string;
  /** The meaning of the signature, e.g. "reviewed: product impact assessed". */
  readonly meaning: string;
}

/** An alarm of the shipment with its acknowledgement, if any. */
export interface ReportAlarm {
  readonly id: string;
  readonly rule: string;
  readonly severity: Severity;
  /** open, acknowledged or resolved. */
  readonly state: string;
  readonly startedAt: number;
  readonly raisedAt: number;
  readonly resolvedAt?: number;
  readonly detectedLate: boolean;
  readonly message: string;
  readonly ack?: ReportAcknowledgement;
  /** The alarm tier of a temperature alarm (docs/alarms.md). */
  readonly tier?: 'warning' | 'critical' | 'regulatory';
  /** Late data disproved the alarm: when that was found, and what the data shows instead. */
  readonly disproved?: { readonly at: number; readonly reason: string };
}

/** One entry of the chain of custody (from the audit log). */
export interface ReportCustodyEvent {
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  /** Human-readable detail; never a token or secret. */
  readonly detail: string;
}

/** Everything a shipment report shows. */
export interface ShipmentReportInput {
  readonly shipment: ReportShipment;
  /** Temperature readings of the trip, sorted by `ts`. */
  readonly readings: readonly ReportReading[];
  /** `summarize()` of the same readings against `shipment.profile`. */
  readonly summary: TemperatureSummary;
  readonly alarms: readonly ReportAlarm[];
  readonly custody: readonly ReportCustodyEvent[];
  readonly generatedAt: number;
  /** The user (or `system`) the report was generated for. */
  readonly generatedBy: string;
}

/** Identifies the report layout; part of the hashed content so a layout change changes the code. */
export const REPORT_FORMAT = 'vigil-shipment-report/3';
