import { openContext, type VigilContext } from '../../data-dir/context.ts';
import { ROLES, type Role, startRoleServer } from '../../server/start-role-server.ts';
import { startServer } from '../../server/start-server.ts';
import { type SimFleet, startSimFleet } from '../../sim/runner.ts';
import { parseCommand } from '../command-context.ts';
import { type CliIo, parsePositiveInt, usage } from '../io.ts';

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
      'accept-exposed-master-key': { type: 'boolean', default: false },
      store: { type: 'string' },
      role: { type: 'string' },
    },
    { positionals: false },
  );
  const mqttPort =
    values['mqtt-port'] === '0' ? 0 : parsePositiveInt('--mqtt-port', values['mqtt-port'], 65535);
  const httpPort =
    values['http-port'] === '0' ? 0 : parsePositiveInt('--http-port', values['http-port'], 65535);
  const role = (values.role ?? 'all') as Role;
  if (!(ROLES as readonly string[]).includes(role)) usage(`--role must be one of ${ROLES.join(', ')}`);
  if (role !== 'all' && values.demo) usage('--demo runs with --role all only');
  const ctx = await openContext({
    dataDir: values['data-dir'],
    acceptExposedMasterKey: values['accept-exposed-master-key'],
    overrides: {
      ...(values.store !== undefined ? { storage: { url: values.store } } : {}),
      ...(mqttPort !== undefined ? { mqtt: { port: mqttPort } } : {}),
      ...(httpPort !== undefined ? { http: { port: httpPort } } : {}),
    },
  });
  if (role !== 'all') return runRole(ctx, role, io);
  const server = await startServer(ctx).catch(async (err) => {
    await ctx.close();
    throw err;
  });
  io.out(`vigil started (pid ${process.pid})`);
  for (const c of ctx.created) io.out(`  created ${c}`);
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

  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.out('stopping...');
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
async function runRole(ctx: VigilContext, role: Exclude<Role, 'all'>, io: CliIo): Promise<number> {
  const server = await startRoleServer(ctx, role).catch(async (err) => {
    await ctx.close();
    throw err;
  });
  io.out(`vigil started (pid ${process.pid}, role ${role})`);
  for (const c of ctx.created) io.out(`  created ${c}`);
  io.out(`  data directory   ${ctx.paths.dataDir}`);
  if (server.identity) io.out(`  ingest identity  ${server.identity}`);
  if (server.httpPort !== null) io.out(`  dashboard, API   https://localhost:${server.httpPort}/`);
  io.out('press Ctrl-C to stop');
  const statsTimer = setInterval(() => io.out(`[${new Date().toISOString()}] ${server.summary()}`), 15_000);
  statsTimer.unref();
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
