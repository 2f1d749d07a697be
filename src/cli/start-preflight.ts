import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Role } from '../cluster/process-role.ts';
import { loadConfig, resolveDataDir } from '../config/load.ts';
import type { ConfigInput, VigilConfig } from '../config/schema.ts';
import { checkDataDir } from '../data-dir/data-dir-state.ts';
import { dataPaths } from '../data-dir/paths.ts';
import { checkServerLock } from '../data-dir/server-lock.ts';
import { VigilError } from '../errors.ts';

/** One listener of `vigil start`, with the configuration key and flag that set its port. */
export interface Listener {
  key: 'mqtt' | 'http' | 'ota';
  host: string;
  port: number;
  flag: string;
}

/**
 * The listeners of a role: `all` has MQTT (with the embedded broker only), HTTPS and firmware
 * downloads (on either store), `api` HTTPS, the others none.
 */
export function listenersOf(config: VigilConfig, role: Role = 'all'): Listener[] {
  if (role === 'ingest' || role === 'rules') return [];
  return [
    ...(config.mqtt.external.url || role === 'api'
      ? []
      : [{ key: 'mqtt' as const, host: config.mqtt.host, port: config.mqtt.port, flag: '--mqtt-port' }]),
    { key: 'http', host: config.http.host, port: config.http.port, flag: '--http-port' },
    // Firmware downloads come with OTA campaigns, which run with the lifecycle in `--role all`.
    ...(role === 'all'
      ? [{ key: 'ota' as const, host: config.http.host, port: config.ota.port, flag: '--ota-port' }]
      : []),
  ];
}

const hostPort = (host: string, port: number) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/**
 * A listen failure in the operator's words, naming the port and the configuration key that set
 * it; null when `err` is not one (or names no listener of `config`).
 */
export function listenError(err: unknown, listeners: Listener[]): VigilError | null {
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (!e || typeof e !== 'object' || typeof e.code !== 'string') return null;
  const l =
    listeners.find((x) => x.port === e.port && x.port !== 0) ??
    (listeners.length === 1 ? listeners[0] : undefined);
  if (!l) return null;
  const where = `${hostPort(l.host, l.port)} (${l.key}.port${l.host === '::' ? '' : `, ${l.key}.host`})`;
  const change = `choose another with ${l.flag} N or ${l.key}.port in config.json`;
  switch (e.code) {
    case 'EADDRINUSE':
      return new VigilError(
        'VIGIL_ERR_PORT_IN_USE',
        `port ${l.port} (${l.key}.port) is already in use on ${hostPort(l.host, l.port)}; stop the program using it, or ${change}`,
      );
    case 'EACCES':
    case 'EPERM':
      return new VigilError(
        'VIGIL_ERR_LISTEN',
        `not allowed to listen on ${where}: ports below 1024 need privileges; ${change}`,
      );
    case 'EADDRNOTAVAIL':
    case 'EAFNOSUPPORT':
    case 'ENOTFOUND':
      return new VigilError(
        'VIGIL_ERR_LISTEN',
        `${l.host} (${l.key}.host) is not an address of this machine; set ${l.key}.host in config.json`,
      );
    default:
      return null;
  }
}

/** Binds and releases `l`'s address: free, or the reason it is not, in the operator's words. */
function probe(l: Listener): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err) => reject(listenError(err, [l]) ?? err));
    server.listen({ host: l.host, port: l.port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * Everything `vigil start` can check before it creates or changes anything: the data directory
 * (its kind, its permissions, the master key and its mode), the configuration, another server on the same
 * directory, and both ports. Returns the configuration it will run with.
 */
export async function startPreflight(o: {
  dataDir: string | undefined;
  env: NodeJS.ProcessEnv;
  overrides: Partial<ConfigInput>;
  acceptExposedMasterKey: boolean;
  /** A role other than `all` runs beside others on one data directory: no server lock. */
  role?: Role;
}): Promise<VigilConfig> {
  const paths = dataPaths(resolveDataDir(o.dataDir, o.env));
  checkDataDir(paths, o.env, true, o.acceptExposedMasterKey);
  const config = loadConfig({ dataDir: paths.dataDir, env: o.env, overrides: o.overrides });
  const role = o.role ?? 'all';
  if (role !== 'all' && !config.storage.url) {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      `--role ${role} needs a shared database: set storage.url (or --store URL)`,
    );
  }
  if (role === 'all' && existsSync(paths.dataDir)) checkServerLock(paths.lock);
  const listeners = listenersOf(config, role);
  const [a, b] = listeners;
  if (a && b && a.port !== 0 && a.port === b.port) {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      `mqtt.port and http.port are both ${a.port}; give them different ports`,
    );
  }
  for (const l of listeners) if (l.port !== 0) await probe(l);
  return config;
}
