import { X509Certificate } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { CLAIM_CN_PREFIX } from '../broker/acl.ts';
import {
  INGEST_SERVICE_NAME,
  ingestWorkerName,
  mosquittoAcl,
  mosquittoConf,
  queueLimits,
} from '../broker/mosquitto-config.ts';
import { x509 } from '../pki/x509.ts';
import { trustBundlePem } from './ca-files.ts';
import { rebuildCrlOf, serverTlsMaterial, type VigilContext } from './context.ts';
import { ensureServiceCert } from './service-cert.ts';

/** Options of {@link writeMosquittoFiles}. */
export interface WriteMosquittoOptions {
  /** Directory to write into (created if missing). */
  outDir: string;
  /** Listener port. Default `mqtt.port` (8883). */
  port?: number;
  /** Listener address. Default `mqtt.host`. */
  host?: string;
  /** User Mosquitto switches to when started as root; see `MosquittoConfOptions.user`. */
  user?: string;
  /** For the audit log. */
  actor: string;
}

/** What {@link writeMosquittoFiles} wrote. */
export interface MosquittoFilesResult {
  dir: string;
  confPath: string;
  /** File names written into `dir` (`server.key` is the unsealed server key: a secret). */
  files: string[];
  port: number;
  host: string;
  /** A URL for `mqtt.external.url`: the listener host (localhost for a wildcard address). */
  suggestedUrl: string;
  /** Names the server certificate is valid for (DNS and IP SANs). */
  serverNames: string[];
  service: { name: string; serial: string; certPath: string; issued: boolean };
  /** Backend identities the ACL lists. */
  services: string[];
  /** Gateways the ACL lists (revoked ones are left out), with their bound devices. */
  gateways: { id: string; devices: string[] }[];
  /** The queue limits written, and what they were sized for. */
  queue: { maxMessages: number; maxBytes: number; ratePerSec: number; maxOutageMinutes: number };
  /** Serials on the CRL just written. */
  revokedSerials: string[];
  /** The CRL's nextUpdate (ms since epoch): Mosquitto refuses every client after it. */
  crlNextUpdate: number;
}

/**
 * Writes everything an external Mosquitto needs to front Vigil into one directory: mosquitto.conf,
 * acl, ca.crt, server.crt, server.key (0600, unsealed from the data directory), a freshly signed
 * crl.pem, and `data/` for Mosquitto's persistence. Also makes sure the `vigil-ingest` service
 * certificate exists. Idempotent: run it again after a revocation and on a schedule (the CRL is
 * valid for 24 h), then send SIGHUP to Mosquitto.
 */
export async function writeMosquittoFiles(
  ctx: VigilContext,
  o: WriteMosquittoOptions,
): Promise<MosquittoFilesResult> {
  const dir = resolve(o.outDir);
  const port = o.port ?? ctx.config.mqtt.port;
  const host = o.host ?? ctx.config.mqtt.host;
  const service = await ensureServiceCert(ctx, INGEST_SERVICE_NAME, o.actor);
  const crl = await rebuildCrlOf(ctx);
  const tls = serverTlsMaterial(ctx);

  const files = {
    cafile: join(dir, 'ca.crt'),
    certfile: join(dir, 'server.crt'),
    keyfile: join(dir, 'server.key'),
    crlfile: join(dir, 'crl.pem'),
    aclFile: join(dir, 'acl'),
    persistenceDir: join(dir, 'data'),
  };
  // Queues sized for mqtt.external.maxOutageMinutes at the fleet's rate (configured, or every
  // registered device at one message a minute).
  const ext = ctx.config.mqtt.external;
  const { maxOutageMinutes } = ext;
  const ratePerSec =
    ext.fleetRatePerSec ?? Math.max(1, Math.ceil((await ctx.store.listDevices()).length / 60));
  const queue = { ...queueLimits({ ratePerSec, maxOutageMinutes }), ratePerSec, maxOutageMinutes };
  const workers = ext.ingestWorkers;
  const services = [
    INGEST_SERVICE_NAME,
    ...Array.from({ length: workers }, (_, i) => ingestWorkerName(i + 1)),
  ];
  const conf = mosquittoConf({
    port,
    host,
    files,
    queue,
    maxPacketBytes: ctx.config.mqtt.maxPacketBytes,
    ...(o.user !== undefined ? { user: o.user } : {}),
  });
  // Claim certificates of live batches (none on PostgreSQL, where claims are not available).
  const batches = await ctx.lifecycleStores.claims.listBatches();
  const claimIdentities = batches
    .filter((b) => b.revokedAt === null && b.expiresAt > ctx.clock())
    .map((b) => `${CLAIM_CN_PREFIX}${b.name}`);
  const gateways = await aclGateways(ctx);
  const acl = mosquittoAcl({ topicPrefix: ctx.config.mqtt.topicPrefix, services, claimIdentities, gateways });

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Mosquitto started as root reads these files only after switching to its own user, on start
  // and on every SIGHUP; a reload that cannot read server.key leaves the listener without a key
  // (every handshake then fails with "no shared cipher"). So files take the owner of DIR: after
  // one `chown -R mosquitto DIR`, a re-run by root keeps the broker working.
  const owner = statSync(dir);
  const write = (path: string, data: string, mode = 0o644) => writeOwned(path, data, mode, owner);
  // Mode 0700 whatever the umask, but only on a directory this run created (never someone else's).
  if (mkdirSync(files.persistenceDir, { recursive: true, mode: 0o700 }) !== undefined)
    chmodSync(files.persistenceDir, 0o700);
  if (process.getuid?.() === 0) chownSync(files.persistenceDir, owner.uid, owner.gid);
  const confPath = join(dir, 'mosquitto.conf');
  write(files.cafile, trustBundlePem(ctx.ca, ctx.previousCa));
  write(files.certfile, tls.cert);
  write(files.keyfile, tls.key, 0o600);
  write(files.crlfile, crl.pem);
  write(files.aclFile, acl);
  write(confPath, conf);

  await ctx.store.appendAudit({
    ts: ctx.clock(),
    actor: o.actor,
    action: 'broker.mosquitto_config',
    object: dir,
    detail: { port, host, service_serial: service.serial, revoked: crl.serials.length },
  });

  const san = new X509Certificate(tls.cert).subjectAltName ?? '';
  const serverNames = san
    .split(',')
    .map((s) => s.trim().replace(/^(DNS|IP Address):/, ''))
    .filter((s) => s.length > 0);
  return {
    dir,
    confPath,
    files: ['mosquitto.conf', 'acl', 'ca.crt', 'server.crt', 'server.key', 'crl.pem', 'data/'],
    port,
    host,
    suggestedUrl: `mqtts://${urlHost(host)}:${port}`,
    serverNames,
    service: {
      name: service.name,
      serial: service.serial,
      certPath: service.certPath,
      issued: service.issued,
    },
    services,
    gateways,
    queue,
    revokedSerials: crl.serials,
    crlNextUpdate: crlNextUpdate(crl.pem),
  };
}

/** Gateways and their devices for the ACL; revoked ones never. */
async function aclGateways(ctx: VigilContext): Promise<{ id: string; devices: string[] }[]> {
  const store = ctx.lifecycleStores.gateways;
  const bindings = await store.listBindings();
  return (await store.listGateways())
    .filter((g) => g.revokedAt === null)
    .map((g) => ({ id: g.id, devices: bindings.filter((b) => b.gatewayId === g.id).map((b) => b.deviceId) }));
}

function urlHost(host: string): string {
  if (host === '::' || host === '0.0.0.0' || host === '') return 'localhost';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** The CRL's nextUpdate (RFC 5280 §5.1.2.5), ms since the epoch. */
function crlNextUpdate(pem: string): number {
  return new x509.X509Crl(pem).nextUpdate?.getTime() ?? 0;
}

/** Atomic write (temp + rename); when running as root, the file gets `owner`'s uid and gid. */
function writeOwned(path: string, data: string, mode: number, owner: { uid: number; gid: number }): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  if (process.getuid?.() === 0) chownSync(tmp, owner.uid, owner.gid);
  renameSync(tmp, path);
}
