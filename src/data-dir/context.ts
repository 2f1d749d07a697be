import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type Logger, pino } from 'pino';
import type { AlarmStore } from '../alarms/alarm-store.ts';
import type { AccountStore } from '../auth/account-store.ts';
import { createAuthServices } from '../auth/auth-services.ts';
import type { ClaimStore } from '../claims/claim-store.ts';
import type { CommandStore } from '../commands/command-store.ts';
import { loadConfig } from '../config/load.ts';
import type { ConfigInput, VigilConfig } from '../config/schema.ts';
import { VigilError } from '../errors.ts';
import type { MasterKey } from '../keys/master-key.ts';
import { loadOrCreateMasterKey } from '../keys/master-key-file.ts';
import type { RotationStore } from '../keys/rotation-store.ts';
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
import { openSqliteAdapters } from '../storage/adapters/sqlite-adapters.ts';
import type { Store } from '../storage/store.ts';
import { loadPreviousCa, readRolloverState, serverIssuer, trustBundlePem } from './ca-files.ts';
import { completeMasterRotation, masterRotationPending } from './master-rotation.ts';
import { type DataPaths, dataPaths } from './paths.ts';

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
  /** The same database through the commands port. */
  commandStore: CommandStore;
  /** The same database through the key-rotation port. */
  rotationStore: RotationStore;
  /** The same database through the claims port. */
  claimStore: ClaimStore;
  /** The current root CA: issues device and service certificates. */
  ca: CaMaterial;
  /** During a CA rollover, the previous root (still trusted); null otherwise. */
  previousCa: CaMaterial | null;
  logger: Logger;
  clock: () => number;
  /** What the first start created (to tell the user once). */
  created: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  dataDir?: string | undefined;
  overrides?: Partial<ConfigInput>;
  env?: NodeJS.ProcessEnv;
  /** Log destination; CLI commands log warnings to stderr only. */
  logLevel?: string;
  /**
   * Create the `admin` account (one-time password in `created`) when no account exists.
   * Default true. A command that does not print `created` should pass false, so that the
   * password is not lost: `vigil start` (or any `vigil user` command) then creates it.
   */
  createAdmin?: boolean;
}

/** Writes a file atomically (temp + rename) with the given mode. */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/**
 * Opens (and on first use creates) the data directory: master key, encrypted database, root CA,
 * server certificate and CRL. Idempotent; every `vigil` command goes through it, so a second
 * command works against the same data directory while `vigil start` runs.
 */
export async function openContext(opts: OpenOptions = {}): Promise<VigilContext> {
  const env = opts.env ?? process.env;
  const config = loadConfig({ dataDir: opts.dataDir, env, overrides: opts.overrides ?? {} });
  const paths = dataPaths(config.dataDir);
  const logger = pino(
    {
      level: opts.logLevel ?? config.log.level,
      base: { svc: 'vigil' },
      redact: ['secret', 'token', 'key', '*.secret', '*.token'],
    },
    pino.destination(2),
  );
  const created: string[] = [];
  try {
    mkdirSync(paths.pkiDir, { recursive: true, mode: 0o700 });
    chmodSync(paths.dataDir, 0o700);
  } catch (err) {
    throw new VigilError('VIGIL_ERR_DATA_DIR', `${paths.dataDir}: ${(err as Error).message}`);
  }
  // A master-key rotation cut off by a crash is finished before anything opens the database.
  if (!env.VIGIL_MASTER_KEY && masterRotationPending(paths)) completeMasterRotation(paths);
  const { key: master, created: keyCreated } = loadOrCreateMasterKey(
    paths.masterKey,
    env,
    paths.hashRootSealed,
  );
  if (keyCreated) created.push(`master key ${paths.masterKey} (mode 0600)`);
  const dbExisted = existsSync(paths.db);
  const db = openSqliteAdapters({
    path: paths.db,
    key: master.databaseKey(),
    synchronous: config.storage.synchronous,
  });
  const { store } = db;
  if (!dbExisted) created.push(`encrypted database ${paths.db}`);
  const clock = () => Date.now();
  const ca = await ensureCa(paths, master, store, clock, config, created);
  const previousCa = loadPreviousCa(paths, master);
  await ensureServerCert(
    paths,
    master,
    store,
    serverIssuer(ca, previousCa, await readRolloverState(store)),
    clock,
    config,
    created,
    { renewBeforeMs: config.pki.serverRenewBeforeDays * 86_400_000 },
  );
  if (!existsSync(paths.crl)) {
    await rebuildCrl({ paths, store, ca, previousCa, clock });
    created.push(`CRL ${paths.crl}`);
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
  if (opts.createAdmin ?? true) {
    // After system.init on purpose: the line below holds the password and must reach neither
    // the audit log nor pino; the account service audits `user.add` without it.
    const admin = await createAuthServices({
      store: db.accounts,
      audit: store,
      master,
      clock,
    }).accounts.createFirstAdmin();
    if (admin) {
      created.push(
        `admin account: user ${admin.name}, one-time password ${admin.oneTimePassword} (shown once; change it and enrol TOTP at first sign-in)`,
      );
    }
  }
  return {
    config,
    paths,
    master,
    store,
    accountStore: db.accounts,
    alarmStore: db.alarms,
    shipmentStore: db.shipments,
    commandStore: db.commands,
    rotationStore: db.rotations,
    claimStore: db.claims,
    ca,
    previousCa,
    logger,
    clock,
    created,
    close: async () => {
      await store.close();
      logger.flush();
    },
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
  const wantDns = ['localhost', ...config.pki.hostNames];
  const wantIps = ['127.0.0.1', '::1', ...config.pki.ips];
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
    master.seal('server-key', Buffer.from(cert.keyPkcs8Pem ?? '', 'utf8')),
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
    key: ctx.master.open('server-key', readFileSync(ctx.paths.serverKeySealed)).toString('utf8'),
    // Client certificates may chain to either root during a CA rollover.
    ca: trustBundlePem(ctx.ca, ctx.previousCa),
    crl: readFileSync(ctx.paths.crl, 'utf8'),
  };
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
  clock: () => number;
}): Promise<{ pem: string; serials: string[] }> {
  const revoked = await p.store.listRevoked();
  const crlNumber = Number((await p.store.getMeta('crl_number')) ?? '0') + 1;
  const entries = revoked.map((r) => ({
    serial: r.serial,
    revokedAt: r.revokedAt ?? p.clock(),
    reason: r.revocationReason ?? undefined,
  }));
  let pem = '';
  for (const ca of p.previousCa ? [p.ca, p.previousCa] : [p.ca]) {
    pem += await createCrl({ ca, revoked: entries, now: new Date(p.clock()), crlNumber });
  }
  await p.store.setMeta('crl_number', String(crlNumber));
  writeFileAtomic(p.paths.crl, pem);
  return { pem, serials: revoked.map((r) => r.serial) };
}
