import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AlarmStore } from '../alarms/alarm-store.ts';
import { writeFileAtomic } from '../atomic-file.ts';
import type { AccountStore } from '../auth/account-store.ts';
import { createAuthServices } from '../auth/auth-services.ts';
import type { ClaimStore } from '../claims/claim-store.ts';
import type { ClusterBackend } from '../cluster/cluster-backend.ts';
import type { CommandStore } from '../commands/command-store.ts';
import { loadConfig, resolveDataDir } from '../config/load.ts';
import type { ConfigInput, VigilConfig } from '../config/schema.ts';
import type { DeviceLabelStore } from '../device-labels/device-label-store.ts';
import { VigilError } from '../errors.ts';
import type { GatewayStore } from '../gateways/gateway-store.ts';
import type { MasterKey } from '../keys/master-key.ts';
import { loadOrCreateMasterKey } from '../keys/master-key-file.ts';
import type { RotationStore } from '../keys/rotation-store.ts';
import { createLogger, flushLogSummaries } from '../logging/create-logger.ts';
import type { NotificationStore } from '../notifications/notification-store.ts';
import type { DeviceReports } from '../ota/device-reports.ts';
import type { FirmwareImageStore } from '../ota/firmware-image-store.ts';
import type { OtaStore } from '../ota/ota-store.ts';
import {
  type CaMaterial,
  certInfo,
  createCa,
  createCrl,
  issueServerCert,
  openCa,
  sealCa,
} from '../pki/index.ts';
import type { ShipmentStore } from '../shipments/shipment-store.ts';
import type { SinkOutbox } from '../sinks/sink-outbox.ts';
import { FileFirmwareImages } from '../storage/adapters/file-firmware-images.ts';
import { openPostgresAdapters } from '../storage/adapters/postgres-adapters.ts';
import { postgresCluster } from '../storage/adapters/postgres-cluster.ts';
import { isPostgresUrl } from '../storage/adapters/postgres-url.ts';
import { openSqliteAdapters } from '../storage/adapters/sqlite-adapters.ts';
import type { Store } from '../storage/store.ts';
import { loadPreviousCa, readRolloverState, serverIssuer, trustBundlePem } from './ca-files.ts';
import { checkDataDir } from './data-dir-state.ts';
import { completeMasterRotation, masterRotationPending } from './master-rotation.ts';
import { type DataPaths, dataPaths } from './paths.ts';
import { SERVER_KEY_IDENTITY } from './sealed-files.ts';

export { SERVER_KEY_IDENTITY };

/** The storage ports of the key and certificate lifecycle, and of the gateways built on its commands. */
export interface LifecycleStores {
  commands: CommandStore;
  rotations: RotationStore;
  claims: ClaimStore;
  /** Gateway identities and device bindings (docs/gateway.md). */
  gateways: GatewayStore;
}

/** The storage ports of firmware updates: uploads and campaigns, and the devices' own reports. */
export interface OtaStores {
  ota: OtaStore;
  /** Uploaded images by SHA-256: files in the data directory (SQLite), or in PostgreSQL. */
  images: FirmwareImageStore;
  /** What devices report about themselves in their events (running firmware, outputs). */
  reports: DeviceReports;
}

export interface VigilContext {
  config: VigilConfig;
  paths: DataPaths;
  master: MasterKey;
  store: Store;
  /** The same store through the accounts port (users, sessions, API tokens). */
  accountStore: AccountStore;
  /** The same database through the alarms port. */
  alarmStore: AlarmStore;
  /** The same database through the shipments port. */
  shipmentStore: ShipmentStore;
  /** The same database through the notifications port. */
  notificationStore: NotificationStore;
  /** Leases, cross-process events and worker slots: set on PostgreSQL (several processes), else undefined. */
  cluster: ClusterBackend | undefined;
  /**
   * Commands, key rotations, claims and gateways (src/commands, src/keys, src/claims,
   * src/gateways) in the same database.
   */
  lifecycleStores: LifecycleStores;
  /**
   * Bed and ward labels of patient monitors (src/device-labels/device-label-store.ts) in the same
   * database (column-encrypted on PostgreSQL).
   */
  deviceLabels: DeviceLabelStore;
  /**
   * Firmware, OTA campaigns, images and what devices report about themselves (src/ota) in the
   * same database (images: in the data directory with SQLite, in PostgreSQL with storage.url).
   */
  otaStores: OtaStores;
  /** The same database through the sinks' outbox (filled by the store's ingest transactions). */
  sinkOutbox: SinkOutbox;
  /** The current root CA: issues device and service certificates. */
  ca: CaMaterial;
  /** During a CA rollover, the previous root (still trusted); null otherwise. */
  previousCa: CaMaterial | null;
  logger: Logger;
  clock: () => number;
  /** What the first start created (to tell the user once). */
  created: string[];
  /**
   * Moves the ingest transactions (Store.writeBatch, getReplayState) onto a worker thread with a
   * database connection of its own, off the event loop (`vigil start` does; CLI commands write
   * on their own thread). Idempotent; `close` ends the thread after its last commit.
   */
  startIngestThread(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  dataDir?: string | undefined;
  overrides?: Partial<ConfigInput>;
  env?: NodeJS.ProcessEnv;
  /** Log destination; CLI commands log warnings to stderr only. */
  logLevel?: string;
  /**
   * Create the data directory (master key, database, CA, server certificate, CRL) where it is
   * missing or unfinished, and renew the server certificate. Only `vigil start` and `vigil init`
   * do; every other command opens an existing data directory or fails with
   * VIGIL_ERR_NO_DATA_DIR. Default false.
   */
  create?: boolean;
  /**
   * Create the `admin` account (one-time password in `created`) when no account exists.
   * Default false: `vigil start` and `vigil init` do it themselves ({@link ensureFirstAdmin}) once
   * everything else worked, and print the password in a block of its own.
   */
  createAdmin?: boolean;
  /** Accept a `master.key` that other users could read (`vigil start --accept-exposed-master-key`). */
  acceptExposedMasterKey?: boolean;
}

export { writeFileAtomic };

/**
 * Opens the data directory; with `create`, first creates what is missing: master key, encrypted
 * database, root CA, server certificate and CRL. Everything that can be checked is checked before
 * anything is written (`checkDataDir`). Every `vigil` command goes through it, so a second command
 * works against the same data directory while `vigil start` runs.
 */
export async function openContext(opts: OpenOptions = {}): Promise<VigilContext> {
  const env = opts.env ?? process.env;
  const create = opts.create ?? false;
  const paths = dataPaths(resolveDataDir(opts.dataDir, env));
  const state = checkDataDir(paths, env, create, opts.acceptExposedMasterKey ?? false);
  const config = loadConfig({ dataDir: paths.dataDir, env, overrides: opts.overrides ?? {} });
  const logger = createLogger({
    ...config.log,
    level: opts.logLevel ?? config.log.level,
    // A relative log file lives in the data directory.
    file: config.log.file === undefined ? undefined : resolve(config.dataDir, config.log.file),
  });
  const created: string[] = [];
  if (create) {
    try {
      // Vigil's own directories: mode 0700 from the start (an existing one is never chmod-ed).
      if (state.kind === 'missing') mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
      if (!existsSync(paths.pkiDir)) mkdirSync(paths.pkiDir, { mode: 0o700 });
    } catch (err) {
      throw new VigilError('VIGIL_ERR_DATA_DIR', `${paths.dataDir}: ${(err as Error).message}`);
    }
  }
  // A master-key rotation cut off by a crash is finished before anything opens the database.
  if (!env.VIGIL_MASTER_KEY && masterRotationPending(paths))
    await completeMasterRotation(paths, config.storage);
  const {
    key: master,
    created: keyCreated,
    exposedMode,
  } = loadOrCreateMasterKey(paths.masterKey, env, {
    acceptExposed: opts.acceptExposedMasterKey ?? false,
    hashRootPath: paths.hashRootSealed,
  });
  if (keyCreated) created.push(`master key ${paths.masterKey} (mode 0600)`);
  const db = await openAdapters(config, paths, master, logger, created);
  const { store } = db;
  const clock = () => Date.now();
  let ca: CaMaterial;
  let previousCa: CaMaterial | null;
  try {
    ca = await ensureCa(paths, master, store, clock, config, created);
    previousCa = loadPreviousCa(paths, master);
    if (create) {
      const issuer = serverIssuer(ca, previousCa, await readRolloverState(store));
      await ensureServerCert(paths, master, store, issuer, clock, config, created, {
        renewBeforeMs: config.pki.serverRenewBeforeDays * 86_400_000,
      });
    }
    if (!existsSync(paths.crl)) {
      await rebuildCrl({ paths, store, ca, previousCa, gateways: db.lifecycle.gateways, clock });
      created.push(`CRL ${paths.crl}`);
    }
    if (exposedMode !== undefined) {
      const mode = exposedMode.toString(8).padStart(4, '0');
      logger.warn(
        { path: paths.masterKey, mode },
        'master key file was readable by other users; mode set to 0600',
      );
      await store.appendAudit({
        ts: clock(),
        actor: 'system',
        action: 'system.master_key_exposed',
        object: null,
        detail: { mode, accepted: 'accept-exposed-master-key', nowMode: '0600' },
      });
    }
    if (created.length > 0) {
      await store.appendAudit({
        ts: clock(),
        actor: 'system',
        action: 'system.init',
        object: null,
        detail: { created },
      });
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  const ctx: VigilContext = {
    config,
    paths,
    master,
    store,
    accountStore: db.accounts,
    alarmStore: db.alarms,
    shipmentStore: db.shipments,
    notificationStore: db.notifications,
    cluster: db.cluster,
    lifecycleStores: db.lifecycle,
    deviceLabels: db.deviceLabels,
    otaStores: db.otaStores,
    sinkOutbox: db.sinkOutbox,
    ca,
    previousCa,
    logger,
    clock,
    created,
    startIngestThread: db.startIngestThread,
    close: async () => {
      await store.close();
      flushLogSummaries(logger);
      logger.flush();
    },
  };
  if (opts.createAdmin) {
    const admin = await ensureFirstAdmin(ctx);
    if (admin) {
      created.push(
        `admin account: user ${admin.name}, one-time password ${admin.oneTimePassword} (shown once; change it and enrol TOTP at first sign-in)`,
      );
    }
  }
  return ctx;
}

/**
 * Creates the `admin` account when no account exists yet, and returns its one-time password (the
 * caller shows it once). Runs after `system.init` on purpose: the password must reach neither the
 * audit log nor pino; the account service audits `user.add` without it.
 */
export async function ensureFirstAdmin(
  ctx: VigilContext,
): Promise<{ name: string; oneTimePassword: string } | null> {
  return createAuthServices({
    store: ctx.accountStore,
    audit: ctx.store,
    master: ctx.master,
    clock: ctx.clock,
  }).accounts.createFirstAdmin();
}

/**
 * The adapters of every port: PostgreSQL when `storage.url` is set (column-encrypted, migrated
 * under an advisory lock), else the encrypted SQLite file in the data directory.
 */
async function openAdapters(
  config: VigilConfig,
  paths: DataPaths,
  master: MasterKey,
  logger: Logger,
  created: string[],
): Promise<{
  store: Store;
  accounts: AccountStore;
  alarms: AlarmStore;
  shipments: ShipmentStore;
  notifications: NotificationStore;
  sinkOutbox: SinkOutbox;
  cluster?: ClusterBackend;
  lifecycle: LifecycleStores;
  deviceLabels: DeviceLabelStore;
  otaStores: OtaStores;
  /** See VigilContext.startIngestThread (PostgreSQL: a no-op, its pool already writes off the loop). */
  startIngestThread: () => Promise<void>;
}> {
  const { url, allowInsecure, poolSize, retryForMs, retentionDays, shipmentRetentionDays } = config.storage;
  if (isPostgresUrl(url)) {
    const pg = await openPostgresAdapters({ url, allowInsecure, master, logger, poolSize, retryForMs });
    return {
      ...pg,
      cluster: postgresCluster(pg.database, { retentionDays, shipmentRetentionDays }),
      lifecycle: { commands: pg.commands, rotations: pg.rotations, claims: pg.claims, gateways: pg.gateways },
      otaStores: { ota: pg.ota, images: pg.images, reports: pg.reports },
      startIngestThread: async () => {},
    };
  }
  const dbExisted = existsSync(paths.db);
  const db = openSqliteAdapters({
    path: paths.db,
    key: master.databaseKey(),
    auditKey: master.auditKey(),
    master,
    synchronous: config.storage.synchronous,
  });
  if (!dbExisted) created.push(`encrypted database ${paths.db}`);
  return {
    ...db,
    lifecycle: { commands: db.commands, rotations: db.rotations, claims: db.claims, gateways: db.gateways },
    otaStores: { ota: db.ota, images: new FileFirmwareImages(paths.firmwareDir), reports: db.reports },
    startIngestThread: () =>
      db.store.startIngestThread({
        path: paths.db,
        key: master.databaseKey(),
        auditKey: master.auditKey(),
        synchronous: config.storage.synchronous,
      }),
  };
}

async function ensureCa(
  paths: DataPaths,
  master: MasterKey,
  store: Store,
  clock: () => number,
  config: VigilConfig,
  created: string[],
): Promise<CaMaterial> {
  if (existsSync(paths.caCert) && existsSync(paths.caKeySealed)) {
    return openCa(master, {
      certPem: readFileSync(paths.caCert, 'utf8'),
      keyEnc: readFileSync(paths.caKeySealed),
    });
  }
  const ca = await createCa({ now: new Date(clock()), validityDays: config.pki.caValidityDays });
  const sealed = sealCa(master, ca);
  writeFileAtomic(paths.caKeySealed, sealed.keyEnc, 0o600);
  writeFileAtomic(paths.caCert, ca.certPem);
  const info = certInfo(ca.certPem);
  await store.addCertificate({
    serial: ca.serial,
    subject: info.subjectCn ?? 'Vigil Root CA',
    kind: 'ca',
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    pem: ca.certPem,
    revokedAt: null,
    revocationReason: null,
  });
  created.push(`root CA ${paths.caCert} (ECDSA P-256, key sealed under the master key)`);
  return ca;
}

/**
 * Issues the server certificate when missing, expiring within `renewBeforeMs`, lacking a
 * configured name, not issued by `ca` (after a CA rollover), or when `force`d. Returns true when
 * it issued a new one (a running server then hot-swaps it, src/lifecycle/server-cert-renewal.ts).
 */
export async function ensureServerCert(
  paths: DataPaths,
  master: MasterKey,
  store: Store,
  ca: CaMaterial,
  clock: () => number,
  config: VigilConfig,
  created: string[],
  o: { renewBeforeMs: number; force?: boolean },
): Promise<boolean> {
  // Every advertised broker name too: a device failing over to any of them must find it in the
  // certificate (RFC 6125 §6.4).
  const advertised = config.mqtt.advertisedBrokers.map((u) => new URL(u).hostname.replace(/^\[|\]$/g, ''));
  const isIp = (h: string) => /^[0-9.]+$/.test(h) || h.includes(':');
  const wantDns = [...new Set(['localhost', ...config.pki.hostNames, ...advertised.filter((h) => !isIp(h))])];
  const wantIps = [...new Set(['127.0.0.1', '::1', ...config.pki.ips, ...advertised.filter(isIp)])];
  if (existsSync(paths.serverCert) && existsSync(paths.serverKeySealed)) {
    const pem = readFileSync(paths.serverCert, 'utf8');
    const info = certInfo(pem);
    const san = new X509Certificate(pem).subjectAltName ?? '';
    const hasAll =
      wantDns.every((d) => san.includes(`DNS:${d}`)) &&
      wantIps.every((ip) => san.toLowerCase().includes(`ip address:${ip}`.toLowerCase()) || ip.includes(':'));
    const sameCa = new X509Certificate(pem).checkIssued(new X509Certificate(ca.certPem));
    if (!o.force && sameCa && hasAll && info.notAfter - clock() > o.renewBeforeMs) return false;
  }
  const cert = await issueServerCert({
    ca,
    hostNames: wantDns,
    ips: wantIps,
    validityDays: config.pki.serverValidityDays,
    now: new Date(clock()),
  });
  writeFileAtomic(
    paths.serverKeySealed,
    master.seal('server-key', Buffer.from(cert.keyPkcs8Pem ?? '', 'utf8'), SERVER_KEY_IDENTITY),
    0o600,
  );
  writeFileAtomic(paths.serverCert, cert.certPem);
  await store.addCertificate({
    serial: cert.serial,
    subject: 'vigil-server',
    kind: 'server',
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    pem: cert.certPem,
    revokedAt: null,
    revocationReason: null,
  });
  created.push(`server certificate ${paths.serverCert} (${[...wantDns, ...wantIps].join(', ')})`);
  return true;
}

/** The server's TLS key pair, opened from its sealed file. */
export function serverTlsMaterial(ctx: VigilContext): { cert: string; key: string; ca: string; crl: string } {
  return {
    cert: readFileSync(ctx.paths.serverCert, 'utf8'),
    key: ctx.master
      .open('server-key', readFileSync(ctx.paths.serverKeySealed), SERVER_KEY_IDENTITY)
      .toString('utf8'),
    // Client certificates may chain to either root during a CA rollover.
    ca: trustBundlePem(ctx.ca, ctx.previousCa),
    crl: readFileSync(ctx.paths.crl, 'utf8'),
  };
}

/**
 * {@link rebuildCrl} for an open data directory: its store, its CA (and `previousCa`, by default
 * the previous root of a CA rollover) and the revoked gateway certificates.
 */
export function rebuildCrlOf(
  ctx: Pick<VigilContext, 'paths' | 'store' | 'ca' | 'previousCa' | 'lifecycleStores' | 'clock'>,
  previousCa: CaMaterial | null = ctx.previousCa,
): Promise<{ pem: string; serials: string[] }> {
  return rebuildCrl({
    paths: ctx.paths,
    store: ctx.store,
    ca: ctx.ca,
    previousCa,
    gateways: ctx.lifecycleStores.gateways,
    clock: ctx.clock,
  });
}

/**
 * Regenerates the CRL from the store's revocations and writes it; returns PEM and revoked serials.
 * During a CA rollover the file holds one CRL per root (a verifier needs the issuer's CRL).
 */
export async function rebuildCrl(p: {
  paths: DataPaths;
  store: Store;
  ca: CaMaterial;
  previousCa?: CaMaterial | null | undefined;
  /**
   * Revoked gateway certificates (`ctx.lifecycleStores.gateways`; null: none). Required, so that
   * no caller can write a CRL that forgets them.
   */
  gateways: Pick<GatewayStore, 'listRevoked'> | null;
  clock: () => number;
}): Promise<{ pem: string; serials: string[] }> {
  const crlNumber = Number((await p.store.getMeta('crl_number')) ?? '0') + 1;
  const entries = [
    ...(await p.store.listRevoked()).map((r) => ({
      serial: r.serial,
      revokedAt: r.revokedAt ?? p.clock(),
      reason: r.revocationReason ?? undefined,
    })),
    ...((await p.gateways?.listRevoked()) ?? []).map((r) => ({
      serial: r.certSerial,
      revokedAt: r.revokedAt,
      reason: r.reason,
    })),
  ];
  let pem = '';
  for (const ca of p.previousCa ? [p.ca, p.previousCa] : [p.ca]) {
    pem += await createCrl({ ca, revoked: entries, now: new Date(p.clock()), crlNumber });
  }
  await p.store.setMeta('crl_number', String(crlNumber));
  writeFileAtomic(p.paths.crl, pem);
  return { pem, serials: entries.map((r) => r.serial) };
}
