import { SqliteAccountStore } from './sqlite-account-store.ts';
import { SqliteAlarmStore } from './sqlite-alarm-store.ts';
import { SqliteClaimStore } from './sqlite-claim-store.ts';
import { SqliteCommandStore } from './sqlite-command-store.ts';
import { SqliteDatabase, type SqliteDatabaseOptions } from './sqlite-database.ts';
import { SqliteDeviceLabelStore } from './sqlite-device-label-store.ts';
import { SqliteDeviceReports } from './sqlite-device-reports.ts';
import { SqliteGatewayStore } from './sqlite-gateway-store.ts';
import { SqliteNotificationStore } from './sqlite-notification-store.ts';
import { SqliteOtaStore } from './sqlite-ota-store.ts';
import { SqliteRotationStore } from './sqlite-rotation-store.ts';
import { SqliteShipmentStore } from './sqlite-shipment-store.ts';
import { SqliteSinkOutbox } from './sqlite-sink-outbox.ts';
import { SqliteStore } from './sqlite-store.ts';

/** One adapter per port, all on one encrypted SQLite connection (one file, one transaction log). */
export interface SqliteAdapters {
  database: SqliteDatabase;
  /** `Store`: registry, keys, certificates, ingest, audit, counters, meta; its close ends them all. */
  store: SqliteStore;
  accounts: SqliteAccountStore;
  alarms: SqliteAlarmStore;
  shipments: SqliteShipmentStore;
  commands: SqliteCommandStore;
  rotations: SqliteRotationStore;
  claims: SqliteClaimStore;
  notifications: SqliteNotificationStore;
  ota: SqliteOtaStore;
  reports: SqliteDeviceReports;
  gateways: SqliteGatewayStore;
  sinkOutbox: SqliteSinkOutbox;
  deviceLabels: SqliteDeviceLabelStore;
}

/** The adapters of every port on an open database. */
export function sqliteAdapters(database: SqliteDatabase): SqliteAdapters {
  return {
    database,
    store: new SqliteStore(database),
    accounts: new SqliteAccountStore(database),
    alarms: new SqliteAlarmStore(database),
    shipments: new SqliteShipmentStore(database),
    commands: new SqliteCommandStore(database),
    rotations: new SqliteRotationStore(database),
    claims: new SqliteClaimStore(database),
    notifications: new SqliteNotificationStore(database),
    ota: new SqliteOtaStore(database),
    reports: new SqliteDeviceReports(database),
    gateways: new SqliteGatewayStore(database),
    sinkOutbox: new SqliteSinkOutbox(database),
    deviceLabels: new SqliteDeviceLabelStore(database),
  };
}

/** Opens (and on first use creates) the database, applies pending migrations, returns its adapters. */
export function openSqliteAdapters(opts: SqliteDatabaseOptions): SqliteAdapters {
  const database = SqliteDatabase.open(opts);
  try {
    if (!database.readonly) database.migrate();
  } catch (err) {
    database.close();
    throw err;
  }
  return sqliteAdapters(database);
}
