/**
 * Every port's contract suite on PostgreSQL 15: one real server for the whole file (started in a
 * temporary directory with TLS and SCRAM), one schema per test.
 */
import { runAlarmStoreContract } from '../../alarms/alarm-store-contract.ts';
import { runAccountStoreContract } from '../../auth/account-store-contract.ts';
import { runClaimStoreContract } from '../../claims/claim-store-contract.ts';
import { runCommandStoreContract } from '../../commands/command-store-contract.ts';
import { runDeviceLabelStoreContract } from '../../device-labels/device-label-store-contract.ts';
import { runGatewayStoreContract } from '../../gateways/gateway-store-contract.ts';
import { runRotationStoreContract } from '../../keys/rotation-store-contract.ts';
import { runNotificationStoreContract } from '../../notifications/notification-store-contract.ts';
import { runDeviceReportsContract } from '../../ota/device-reports-contract.ts';
import { runFirmwareImageStoreContract } from '../../ota/firmware-image-store-contract.ts';
import { runOtaStoreContract } from '../../ota/ota-store-contract.ts';
import { runShipmentStoreContract } from '../../shipments/shipment-store-contract.ts';
import { runSinkOutboxContract } from '../../sinks/sink-outbox-contract.ts';
import { runStoreContract } from '../store-contract.ts';
import { sampleDevice, sampleKey } from '../store-records.fixture.ts';
import { postgresFixture } from './postgres.fixture.ts';

const pg = await postgresFixture();

runStoreContract({
  name: 'PostgresStore',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return { store: db.store, cleanup: () => db.dispose() };
  },
});

runAccountStoreContract({
  name: 'PostgresAccountStore',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return { accounts: db.accounts, cleanup: () => db.dispose() };
  },
});

runAlarmStoreContract({
  name: 'PostgresAlarmStore',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return { alarms: db.alarms, cleanup: () => db.dispose() };
  },
});

runShipmentStoreContract({
  name: 'PostgresShipmentStore',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return {
      shipments: db.shipments,
      registerDevice: (id) => db.store.addDevice(sampleDevice(id), sampleKey(id)),
      cleanup: () => db.dispose(),
    };
  },
});

runNotificationStoreContract({
  name: 'PostgresNotificationStore',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return { notifications: db.notifications, cleanup: () => db.dispose() };
  },
});

runCommandStoreContract({
  name: 'PostgresCommandStore',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return {
      commands: db.commands,
      registerDevice: (id) => db.store.addDevice(sampleDevice(id), sampleKey(id)),
      cleanup: () => db.dispose(),
    };
  },
});

runRotationStoreContract({
  name: 'PostgresRotationStore',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return {
      rotations: db.rotations,
      registerDevice: (id) => db.store.addDevice(sampleDevice(id), sampleKey(id)),
      cleanup: () => db.dispose(),
    };
  },
});

runClaimStoreContract({
  name: 'PostgresClaimStore',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return { claims: db.claims, cleanup: () => db.dispose() };
  },
});

runSinkOutboxContract({
  name: 'PostgresSinkOutbox',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return { store: db.store, outbox: db.sinkOutbox, cleanup: () => db.dispose() };
  },
});

runGatewayStoreContract({
  name: 'PostgresGatewayStore',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return {
      gateways: db.gateways,
      registerDevice: (id) => db.store.addDevice(sampleDevice(id), sampleKey(id)),
      cleanup: () => db.dispose(),
    };
  },
});

runOtaStoreContract({
  name: 'PostgresOtaStore',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return {
      ota: db.ota,
      registerDevice: (id) => db.store.addDevice(sampleDevice(id), sampleKey(id)),
      cleanup: () => db.dispose(),
    };
  },
});

runFirmwareImageStoreContract({
  name: 'PostgresFirmwareImages',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return { images: db.images, cleanup: () => db.dispose() };
  },
});

runDeviceReportsContract({
  name: 'PostgresDeviceReports',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return { reports: db.reports, store: db.store, cleanup: () => db.dispose() };
  },
});

runDeviceLabelStoreContract({
  name: 'PostgresDeviceLabelStore',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return {
      labels: db.deviceLabels,
      registerDevice: (id) =>
        db.store.addDevice({ ...sampleDevice(id), profile: 'patient-vitals' }, sampleKey(id)),
      deleteDevice: (id) => db.store.deleteDevice(id),
      cleanup: () => db.dispose(),
    };
  },
});
