import { PostgresAccountStore } from './postgres-account-store.ts';
import { PostgresAlarmStore } from './postgres-alarm-store.ts';
import { PostgresClaimStore } from './postgres-claim-store.ts';
import { PostgresCommandStore } from './postgres-command-store.ts';
import { PostgresDatabase, type PostgresDatabaseOptions } from './postgres-database.ts';
import { PostgresDeviceLabelStore } from './postgres-device-label-store.ts';
import { PostgresDeviceReports } from './postgres-device-reports.ts';
import { PostgresFirmwareImages } from './postgres-firmware-images.ts';
import { PostgresGatewayStore } from './postgres-gateway-store.ts';
import { PostgresNotificationStore } from './postgres-notification-store.ts';
import { PostgresOtaStore } from './postgres-ota-store.ts';
import { PostgresRotationStore } from './postgres-rotation-store.ts';
import { PostgresShipmentStore } from './postgres-shipment-store.ts';
import { PostgresSinkOutbox } from './postgres-sink-outbox.ts';
import { PostgresStore } from './postgres-store.ts';

/** One adapter per port, all on one PostgreSQL database (one pool, one data key). */
export interface PostgresAdapters {
  database: PostgresDatabase;
  /** `Store`: registry, keys, certificates, ingest, audit, counters, meta; its close ends them all. */
  store: PostgresStore;
  accounts: PostgresAccountStore;
  alarms: PostgresAlarmStore;
  shipments: PostgresShipmentStore;
  notifications: PostgresNotificationStore;
  /** The key and certificate lifecycle: commands, key rotations, claims. */
  commands: PostgresCommandStore;
  rotations: PostgresRotationStore;
  claims: PostgresClaimStore;
  gateways: PostgresGatewayStore;
  sinkOutbox: PostgresSinkOutbox;
  deviceLabels: PostgresDeviceLabelStore;
  /** Firmware, campaigns, the images themselves, and what devices report about themselves. */
  ota: PostgresOtaStore;
  images: PostgresFirmwareImages;
  reports: PostgresDeviceReports;
}

/** The adapters of every port on an open database. */
export function postgresAdapters(database: PostgresDatabase): PostgresAdapters {
  return {
    database,
    store: new PostgresStore(database),
    accounts: new PostgresAccountStore(database),
    alarms: new PostgresAlarmStore(database),
    shipments: new PostgresShipmentStore(database),
    notifications: new PostgresNotificationStore(database),
    commands: new PostgresCommandStore(database),
    rotations: new PostgresRotationStore(database),
    claims: new PostgresClaimStore(database),
    gateways: new PostgresGatewayStore(database),
    sinkOutbox: new PostgresSinkOutbox(database),
    deviceLabels: new PostgresDeviceLabelStore(database),
    ota: new PostgresOtaStore(database),
    images: new PostgresFirmwareImages(database),
    reports: new PostgresDeviceReports(database),
  };
}

/** Connects, applies pending migrations (under an advisory lock), returns the adapters. */
export async function openPostgresAdapters(opts: PostgresDatabaseOptions): Promise<PostgresAdapters> {
  const database = PostgresDatabase.open(opts);
  try {
    await database.migrate();
  } catch (err) {
    await database.close();
    throw err;
  }
  return postgresAdapters(database);
}
