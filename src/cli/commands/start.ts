import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateBackupIdentity,
  identityFileText,
  identityWarning,
  writeIdentityFile,
} from '../../backup/age-identity.ts';
import { addBackupRecipient } from '../../backup/backup-config.ts';
import { ROLES, type Role } from '../../cluster/process-role.ts';
import type { ConfigInput } from '../../config/schema.ts';
import { ensureFirstAdmin, openContext, type VigilContext } from '../../data-dir/context.ts';
import { dataPaths } from '../../data-dir/paths.ts';
import { startRoleServer } from '../../server/start-role-server.ts';
import { DEFAULT_WEB_ROOT, startServer } from '../../server/start-server.ts';
import { type SimFleet, startSimFleet } from '../../sim/runner.ts';
import { parseCommand } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { firstAdminNotice, pendingFirstAdminHint } from '../first-admin-notice.ts';
import { type CliIo, parsePositiveInt, usage } from '../io.ts';
import { type Listener, listenError, listenersOf, startPreflight } from '../start-preflight.ts';

export const startHelp: CommandHelp = {
  forms: {
    '': {
      synopsis:
        'start [--mqtt-port N] [--http-port N] [--ota-port N] [--demo] [--accept-exposed-master-key] [--store URL] [--role all|ingest|api|rules]',
      about:
        'Runs the MQTT broker (mTLS), the ingest pipeline, the encrypted store, the HTTPS API and the dashboard, until Ctrl-C. On first use it creates the data directory (master key, database, CA, server certificate, CRL) and the admin account, whose one-time password it prints once; before writing anything it checks the data directory, the configuration and both ports.',
      options: [
        ['--mqtt-port N', 'MQTT over TLS port (default mqtt.port, 8883; 0 picks a free one)'],
        ['--http-port N', 'HTTPS port (default http.port, 8443; 0 picks a free one)'],
        ['--ota-port N', 'firmware download port (default ota.port, 8444; 0 picks a free one)'],
        ['--demo', 'also run the simulated fleet: 6 trucks, 3 patient monitors, 3 fridge probes'],
        [
          '--store URL',
          'store in PostgreSQL (postgres://user:password@host[,host2]/db?sslrootcert=CA.pem; as storage.url; prefer config.json, a URL on the command line is visible to other users in the process list)',
        ],
        [
          '--role R',
          'all (default: everything in one process), or one part on a shared PostgreSQL database: ingest (broker links and pipeline, no HTTPS), rules (alarms and shipments by device lease), api (HTTPS API and dashboard); see docs/scaling.md',
        ],
        [
          '--accept-exposed-master-key',
          'start although master.key was readable by other users (then set to mode 0600, logged and audited); rotate the key if it may have leaked',
        ],
      ],
    },
  },
  notes:
    'Logs are JSON on stderr, or in log.file (log.level, VIGIL_LOG_LEVEL); on a terminal a status line is printed every log.statusIntervalMs.',
};

/** The demo fleet `npm start` runs: trucks on real routes, patient monitors, fridge probes. */
const DEMO_FLEET = [
  { profile: 'vaccine-transport', devices: 6, rate: 0.5, forceExcursion: true },
  { profile: 'patient-vitals', devices: 3, rate: 0.2, forceExcursion: false },
  { profile: 'temperature-probe', devices: 3, rate: 0.2, forceExcursion: false },
] as const;

function portFlag(flag: string, value: string | undefined): number | undefined {
  return value === '0' ? 0 : parsePositiveInt(flag, value, 65535);
}

export async function startCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      'mqtt-port': { type: 'string' },
      'http-port': { type: 'string' },
      'ota-port': { type: 'string' },
      demo: { type: 'boolean', default: false },
      'accept-exposed-master-key': { type: 'boolean', default: false },
      store: { type: 'string' },
      role: { type: 'string' },
    },
    { positionals: false },
  );
  const mqttPort = portFlag('--mqtt-port', values['mqtt-port']);
  const httpPort = portFlag('--http-port', values['http-port']);
  const otaPort = portFlag('--ota-port', values['ota-port']);
  const role = (values.role ?? 'all') as Role;
  if (!(ROLES as readonly string[]).includes(role)) usage(`--role must be one of ${ROLES.join(', ')}`);
  if (role !== 'all' && values.demo) usage('--demo runs with --role all only');
  const overrides: Partial<ConfigInput> = {
    ...(values.store !== undefined ? { storage: { url: values.store } } : {}),
    ...(mqttPort !== undefined ? { mqtt: { port: mqttPort } } : {}),
    ...(httpPort !== undefined ? { http: { port: httpPort } } : {}),
    ...(otaPort !== undefined ? { ota: { port: otaPort } } : {}),
  };
  const acceptExposedMasterKey = values['accept-exposed-master-key'];
  // Everything that can fail is checked before the first file is written.
  const config = await startPreflight({
    dataDir: values['data-dir'],
    env: io.env,
    overrides,
    acceptExposedMasterKey,
    role,
  });
  // The demo initialises backups itself (vigil backup init), identity in the data directory;
  // after the checks above, so that a refused start writes nothing.
  const demoBackup: string[] = values.demo ? await initDemoBackups(config.dataDir) : [];
  const ctx = await openContext({
    dataDir: values['data-dir'],
    env: io.env,
    overrides,
    create: true,
    acceptExposedMasterKey,
  });
  if (role !== 'all') return runRole(ctx, role, io, listenersOf(config, role));
  // UPS low battery asks for the same graceful stop as Ctrl-C (src/continuity).
  let shutdown: ((reason: string) => void) | undefined;
  const shutdownRequested = new Promise<string>((resolve) => {
    shutdown = resolve;
  });
  const server = await startServer(ctx, { requestShutdown: (reason) => shutdown?.(reason) }).catch(
    async (err) => {
      await ctx.close();
      // A port taken between the check and the start: the same plain error.
      throw listenError(err, listenersOf(config)) ?? err;
    },
  );
  // The first admin only now that the server runs: a start that failed leaves no account
  // whose password nobody saw, and the next start creates it.
  const admin = await ensureFirstAdmin(ctx);
  const dashboard = `https://localhost:${server.httpPort}/`;
  io.out(`vigil started (pid ${process.pid})`);
  for (const c of ctx.created) io.out(`  created ${c}`);
  for (const l of demoBackup) io.out(`  ${l}`);
  io.out(`  data directory   ${ctx.paths.dataDir}`);
  io.out(
    `  MQTT over mTLS   mqtts://localhost:${server.mqttPort}  (topics ${ctx.config.mqtt.topicPrefix}/devices/{id}/...)`,
  );
  io.out(`  dashboard, API   ${dashboard}  (health: /healthz, API: /api/v1)`);
  if (!existsSync(join(DEFAULT_WEB_ROOT, 'index.html'))) {
    io.out('                   (the dashboard is not built: run "npm run build:web"; the API works)');
  }
  if (server.otaPort !== null)
    io.out(`  firmware (mTLS)  https://localhost:${server.otaPort}/firmware/VERSION  (docs/ota.md)`);
  io.out(`  CA certificate   ${ctx.paths.caCert}`);
  if (admin) io.out(firstAdminNotice(admin, dashboard));
  else {
    const hint = await pendingFirstAdminHint(ctx);
    if (hint) io.out(hint);
  }

  const fleets: SimFleet[] = [];
  if (values.demo) {
    const brokerUrl = `mqtts://localhost:${server.mqttPort}`;
    for (const f of DEMO_FLEET) {
      fleets.push(await startSimFleet(ctx, { ...f, brokerUrl }));
    }
    io.out(
      `  demo fleet       ${fleets.reduce((n, f) => n + f.devices.length, 0)} simulated devices over mTLS`,
    );
    io.out('');
    io.out('look at the data (in another terminal, same directory):');
    io.out('  npm run -s vigil -- device list');
    io.out('  npm run -s vigil -- readings sim-truck-001 --limit 10');
    io.out('  npm run -s vigil -- readings sim-truck-001 --follow');
    // Each truck's dispatch event starts a shipment; sim-truck-001's cooling fails early (heat excursion).
    io.out('  npm run -s vigil -- shipment list');
    io.out('  npm run -s vigil -- shipment show <id from the list> --json');
    io.out('  npm run -s vigil -- alarms --follow');
  }
  io.out('press Ctrl-C to stop');

  // A person watching the terminal gets a status line; logs and journals get only the JSON logs.
  const statsTimer = io.terminal?.stdout
    ? setInterval(() => {
        const s = server.pipeline.stats;
        const rej = Object.entries(server.rejections.totals())
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        const sim = fleets.length
          ? ` | sim sent ${fleets.reduce((n, f) => n + f.totals().sent, 0)} buffered ${fleets.reduce((n, f) => n + f.totals().buffered, 0)}`
          : '';
        io.out(
          `[${new Date().toISOString()}] clients ${server.broker?.stats().connected ?? 0} | accepted ${s.accepted} readings ${s.readings} rejected ${s.rejected}${rej ? ` (${rej})` : ''}${sim}`,
        );
      }, ctx.config.log.statusIntervalMs)
    : undefined;
  statsTimer?.unref();

  const reason = await Promise.race([
    shutdownRequested,
    new Promise<string>((resolve) => {
      if (io.signal.aborted) resolve('signal');
      io.signal.addEventListener('abort', () => resolve('signal'), { once: true });
    }),
  ]);
  io.out(reason === 'signal' ? 'stopping...' : `stopping: ${reason}...`);
  clearInterval(statsTimer);
  for (const f of fleets) await f.stop();
  const outcome = await server.stop();
  await ctx.close();
  // Exit 0 after a clean drain; 1 when the deadline (shutdownTimeoutMs) forced connections closed.
  io.out(
    outcome.clean
      ? 'stopped'
      : `stopped: forced after ${ctx.config.shutdownTimeoutMs} ms (${outcome.cutShort.join(', ')})`,
  );
  return outcome.clean ? 0 : 1;
}

/** `vigil start --role ingest|rules|api`: one part of Vigil, on the shared PostgreSQL database. */
async function runRole(
  ctx: VigilContext,
  role: Exclude<Role, 'all'>,
  io: CliIo,
  listeners: Listener[],
): Promise<number> {
  const server = await startRoleServer(ctx, role).catch(async (err) => {
    await ctx.close();
    throw listenError(err, listeners) ?? err;
  });
  const admin = role === 'api' ? await ensureFirstAdmin(ctx) : null;
  io.out(`vigil started (pid ${process.pid}, role ${role})`);
  for (const c of ctx.created) io.out(`  created ${c}`);
  io.out(`  data directory   ${ctx.paths.dataDir}`);
  if (server.identity) io.out(`  ingest identity  ${server.identity}`);
  if (server.httpPort !== null) io.out(`  dashboard, API   https://localhost:${server.httpPort}/`);
  if (admin) io.out(firstAdminNotice(admin, `https://localhost:${server.httpPort}/`));
  io.out('press Ctrl-C to stop');
  const statsTimer = io.terminal?.stdout
    ? setInterval(
        () => io.out(`[${new Date().toISOString()}] ${server.summary()}`),
        ctx.config.log.statusIntervalMs,
      )
    : undefined;
  statsTimer?.unref();
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.out('stopping...');
  clearInterval(statsTimer);
  const outcome = await server.stop();
  await ctx.close();
  io.out(outcome.clean ? 'stopped' : `stopped: forced (${outcome.cutShort.join(', ')})`);
  return outcome.clean ? 0 : 1;
}

/** Backups for the demo: a fresh identity in `<data-dir>/backup-identity.txt` unless configured. */
async function initDemoBackups(dataDir: string): Promise<string[]> {
  const configFile = join(dataDir, 'config.json');
  if (existsSync(configFile)) {
    const doc = JSON.parse(readFileSync(configFile, 'utf8')) as { backup?: { recipients?: unknown[] } };
    if ((doc.backup?.recipients?.length ?? 0) > 0) return [];
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = dataPaths(dataDir).demoBackupIdentity;
  if (existsSync(path)) return [];
  const pair = await generateBackupIdentity();
  writeIdentityFile(path, identityFileText(pair, new Date()));
  addBackupRecipient(dataDir, pair.recipient);
  return [`backups initialised (recipient ${pair.recipient})`, ...identityWarning(path)];
}
