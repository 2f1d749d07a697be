/**
 * What the API routes are given: small ports, each naming only the capability a route uses. The
 * composition root (src/server) implements them over the stores and services; the API never sees
 * the broker, the ingest pipeline, the data directory or the device service themselves.
 */

import type { AlarmStore } from '../alarms/alarm-store.ts';
import type { AlarmView } from '../alarms/alarm-view.ts';
import type { BrokerStats } from '../broker/broker-types.ts';
import type { ExternalBrokerStatus } from '../cluster/broker-links.ts';
import type { commandView } from '../commands/command-view.ts';
import type { ContinuityReport } from '../continuity/continuity-schema.ts';
import type { DeviceLink } from '../continuity/link-tracker.ts';
import type { LiveFrame, LiveType } from '../live/live-bus.ts';
import type { DeviceLabels } from '../protocol/device-labels.ts';
import type { SinkStatus } from '../sinks/sink-runner.ts';
import type { DeviceRecord, Store } from '../storage/store.ts';
import type { DeviceSummary, LiveReadingView } from './schemas.ts';
import type { SystemStatusView } from './system-schema.ts';

/** The device registry and each device's latest readings (read only). */
export type DeviceReads = Pick<Store, 'listDevices' | 'getDevice' | 'queryReadings'>;

/** The audit log, read side. */
export type AuditReads = Pick<Store, 'queryAudit' | 'verifyAudit'>;

/** The audit log, write side. */
export type AuditLog = Pick<Store, 'appendAudit'>;

/** The alarms list (for the devices list's alarm state and the shipment record). */
export type AlarmList = Pick<AlarmStore, 'list'>;

/** A device bundle's files, by name (what `vigil device add` writes to disk). */
export interface DeviceBundleFiles {
  'ca.crt': string;
  'device.crt': string;
  'device.key': string;
  'device.json': string;
  'vigil_device_config.h': string;
}

/** Input of {@link DeviceControl.provision}. */
export interface ProvisionInput {
  id: string;
  profile: DeviceRecord['profile'];
  alg?: DeviceRecord['alg'];
  /** Audit actor. */
  actor: string;
}

/**
 * Device administration through the API. The implementation also applies the change to this
 * process at once (device cache, live MQTT session): its own commit is invisible to the store
 * change watcher.
 */
export interface DeviceControl {
  /** Enables or disables a device (audited); a disabled device's session is dropped. */
  setEnabled(id: string, enabled: boolean, actor: string): Promise<DeviceRecord>;
  /** Provisions a device (audited as `device.add`); the bundle exists only in the answer. */
  provision(input: ProvisionInput): Promise<{ device: DeviceRecord; bundle: DeviceBundleFiles }>;
  /** Revokes a device (status `revoked`, certificates on the CRL; audited); its session is dropped. */
  revoke(id: string, actor: string): Promise<DeviceRecord>;
  /**
   * Deletes a device that never delivered anything (audited as `device.delete`); one that has
   * been seen or has data is refused with VIGIL_ERR_DEVICE_IN_USE.
   */
  remove(id: string, actor: string): Promise<void>;
}

/**
 * Bed and ward labels of patient monitors (src/device-labels): read for the device views of
 * callers with `devices.labels.read`, set (checked and audited) with `devices.labels.manage`.
 */
export interface DeviceLabelAccess {
  /** Every labelled device's labels, by device id. */
  all(): Promise<Map<string, DeviceLabels>>;
  /** One device's labels (both null when none are set). */
  get(id: string): Promise<DeviceLabels>;
  /** Sets both labels (null clears one); VIGIL_ERR_NOT_FOUND, VIGIL_ERR_USAGE (not a patient monitor). */
  set(id: string, labels: DeviceLabels, actor: string): Promise<DeviceLabels>;
}

/** What a simulated logger's display shows (the demo's trucks); null for any other device. */
export interface LoggerDisplays {
  display(
    id: string,
  ): Promise<{ batch: string; token: string; dispatchedAt: number; shipment: string | null } | null>;
}

/**
 * Where the HTTPS listener reports a connection it refused or could not accept (the process's
 * rejection recorder: counted by reason, audited in summaries).
 */
export interface ConnectionRefusals {
  record(ev: { code: string; source: string; address?: string; detail?: Record<string, unknown> }): void;
}

/** Cumulative ingest counters of this process. */
export interface IngestCounters {
  accepted: number;
  rejected: number;
  readings: number;
  commits: number;
  /** Duration of the last committed batch. */
  lastCommitMs: number;
}

/** The ingest side as the API measures it. */
export interface IngestMeter {
  readonly stats: IngestCounters;
  /** Calls `fn` after each committed batch; returns the unsubscription. */
  onCommit(fn: (c: { ms: number }) => void): () => void;
}

/** Everything /api/v1/system, /metrics and the live feed's `system` messages report on. */
/** One external broker as a link sees it (host and port only: a URL could carry credentials). */
export type { ExternalBrokerStatus };

export interface StatusSources {
  clock: () => number;
  store: Pick<Store, 'listDevices' | 'queryReadings' | 'getCounters'>;
  ingest: IngestMeter;
  /** Rejections by reason since this process started. */
  rejectionTotals: () => Record<string, number>;
  /** The embedded broker's figures; undefined with an external broker. */
  broker: { stats(): BrokerStats } | undefined;
  /** The external broker's URL (only host and port are reported); undefined when embedded. */
  externalBrokerUrl: string | undefined;
  /** Whether this process reaches the broker devices deliver to; null when it cannot tell. */
  brokerReachable: () => boolean | null;
  /** When a device last delivered backfill (null when not since start). */
  lastBackfillAt: (deviceId: string) => number | null;
  /**
   * The external brokers this process links to, with Mosquitto's counters as last read from
   * `$SYS` (null until read); empty with the embedded broker.
   */
  externalBrokers?: () => ExternalBrokerStatus[];
  /** The database file (its size and its WAL's are reported). */
  dbPath: string;
  caCertPem: string;
  /** The fleet's key rotation and certificate expiry status (/metrics, system page). */
  lifecycle?: () => Promise<import('../lifecycle/fleet-lifecycle.ts').FleetLifecycle>;
  /** Gateway figures as Prometheus text (docs/gateway.md). */
  gatewayMetrics?: () => string;
  /** Backups, power, the data volume and brokers (the continuity section); absent in tests that need none. */
  continuity?: () => Promise<ContinuityReport>;
  /** A device's latest `link` event: its broker and outbox depth (null: none since start). */
  link?: (deviceId: string) => DeviceLink | null;
  /** The sinks (InfluxDB, webhooks): delivery state, failures and outbox of each. */
  sinks?: () => Promise<SinkStatus[]>;
}

/** One device's key and certificate state (device page). */
export type DeviceLifecycleReads = (
  deviceId: string,
) => Promise<import('../lifecycle/fleet-lifecycle.ts').DeviceLifecycle | null>;

/**
 * What each live-feed message carries (docs/api.md, "Live feed"): the same views as the API's
 * answers, times ISO 8601 UTC.
 */
export interface LiveFrameData {
  reading: LiveReadingView;
  alarm: AlarmView;
  device: DeviceSummary;
  system: SystemStatusView;
  command: ReturnType<typeof commandView>;
  /** An OTA campaign changed (docs/ota.md): fetch it again. */
  ota: { campaignId: string };
}

/** The live feed's bus: producers publish, each client subscribes. */
export interface LiveFeed {
  subscribe(fn: (frame: LiveFrame) => void): () => void;
  publish<T extends LiveType>(type: T, data: LiveFrameData[T]): void;
}

/** Server → device commands (src/commands/command-service.ts) as the API uses them. */
export interface CommandControl {
  /** Validates, stores, audits and sends a command; VigilError on bad input or device state. */
  send(
    input: Omit<import('../commands/command-service.ts').SendCommandInput, 'internal'>,
  ): Promise<import('../commands/command-store.ts').CommandRecord>;
  /** The device's commands, newest first. */
  list(deviceId: string, limit: number): Promise<import('../commands/command-store.ts').CommandRecord[]>;
}

/** Provisioning claims (src/lifecycle/claim-service.ts) as the API uses them. */
export interface ClaimControl {
  list(): Promise<{
    claims: import('../claims/claim-store.ts').ClaimRecord[];
    batches: import('../claims/claim-store.ts').ClaimBatch[];
    quarantine: import('../claims/claim-store.ts').QuarantineEntry[];
  }>;
  approve(
    serial: string,
    deviceId: string,
    actor: string,
  ): Promise<import('../claims/claim-store.ts').ClaimRecord>;
  reject(
    serial: string,
    actor: string,
    reason?: string,
  ): Promise<import('../claims/claim-store.ts').ClaimRecord>;
}
