import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateBackupIdentity,
  identityFileText,
  identityWarning,
  writeIdentityFile,
} from '../../backup/age-identity.ts';
import { addBackupRecipient } from '../../backup/backup-config.ts';
import { resolveDataDir } from '../../config/load.ts';
import { openContext } from '../../data-dir/context.ts';
import { dataPaths } from '../../data-dir/paths.ts';
import { startServer } from '../../server/start-server.ts';
import { type SimFleet, startSimFleet } from '../../sim/runner.ts';
import { parseCommand } from '../command-context.ts';
import { type CliIo, parsePositiveInt } from '../io.ts';

/** The demo fleet `npm start` runs: trucks on real routes, patient monitors, fridge probes. */
const DEMO_FLEET = [
  { profile: 'vaccine-transport', devices: 6, rate: 0.5, forceExcursion: true },
  { profile: 'patient-vitals', devices: 3, rate: 0.2, forceExcursion: false },
  { profile: 'temperature-probe', devices: 3, rate: 0.2, forceExcursion: false },
] as const;

export async function startCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      'mqtt-port': { type: 'string' },
      'http-port': { type: 'string' },
      demo: { type: 'boolean', default: false },
    },
    { positionals: false },
  );
  const mqttPort =
    values['mqtt-port'] === '0' ? 0 : parsePositiveInt('--mqtt-port', values['mqtt-port'], 65535);
  const httpPort =
    values['http-port'] === '0' ? 0 : parsePositiveInt('--http-port', values['http-port'], 65535);
  // The demo initialises backups itself (vigil backup init), identity in the data directory.
  const demoBackup: string[] = values.demo
    ? await initDemoBackups(resolveDataDir(values['data-dir'], io.env))
    : [];
  const ctx = await openContext({
    dataDir: values['data-dir'],
    overrides: {
      ...(mqttPort !== undefined ? { mqtt: { port: mqttPort } } : {}),
      ...(httpPort !== undefined ? { http: { port: httpPort } } : {}),
    },
  });
  // UPS low battery asks for the same graceful stop as Ctrl-C (src/continuity).
  let shutdown: ((reason: string) => void) | undefined;
  const shutdownRequested = new Promise<string>((resolve) => {
    shutdown = resolve;
  });
  const server = await startServer(ctx, { requestShutdown: (reason) => shutdown?.(reason) }).catch(
    async (err) => {
      await ctx.close();
      throw err;
    },
  );
  io.out(`vigil started (pid ${process.pid})`);
  for (const c of ctx.created) io.out(`  created ${c}`);
  for (const l of demoBackup) io.out(`  ${l}`);
  io.out(`  data directory   ${ctx.paths.dataDir}`);
  io.out(
    `  MQTT over mTLS   mqtts://localhost:${server.mqttPort}  (topics ${ctx.config.mqtt.topicPrefix}/devices/{id}/...)`,
  );
  io.out(`  dashboard, API   https://localhost:${server.httpPort}/  (health: /healthz, API: /api/v1)`);
  io.out(`  CA certificate   ${ctx.paths.caCert}`);

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
    io.out('  npm run vigil -- device list');
    io.out('  npm run vigil -- readings sim-truck-001 --limit 10');
    // Each truck's dispatch event starts a shipment; sim-truck-001's cooling fails early (heat excursion).
    io.out('  npm run vigil -- shipment list');
    io.out('  npm run vigil -- shipment show <id from the list> --json');
    io.out('  npm run vigil -- audit --since 2026-01-01T00:00:00Z');
  }
  io.out('press Ctrl-C to stop');

  const statsTimer = setInterval(() => {
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
  }, 15_000);
  statsTimer.unref();

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
  await server.stop();
  await ctx.close();
  io.out('stopped');
  return 0;
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
