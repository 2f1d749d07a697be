import { DEVICE_PROFILES, isDeviceProfile } from '../../protocol/device-profile.ts';
import { startSimFleet } from '../../sim/runner.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import { type CliIo, parseDuration, parsePositiveInt, usage } from '../io.ts';

const HELP =
  'usage: vigil sim --devices N --profile vaccine-transport|patient-vitals|temperature-probe [--rate R] [--duration D] [--broker URL] [--first K]';

export async function simCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      devices: { type: 'string' },
      profile: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      broker: { type: 'string' },
      first: { type: 'string' },
      seed: { type: 'string' },
      'force-excursion': { type: 'boolean', default: false },
    },
    { positionals: false },
  );
  const devices =
    parsePositiveInt('--devices', values.devices, 10_000) ?? usage(`--devices is required\n${HELP}`);
  const profile = values.profile ?? usage(`--profile is required\n${HELP}`);
  if (!isDeviceProfile(profile)) usage(`--profile must be one of ${DEVICE_PROFILES.join(', ')}`);
  const rate = values.rate === undefined ? 1 : Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0 || rate > 1000)
    usage('--rate must be readings per second per device, > 0 and <= 1000');
  const durationMs = parseDuration('--duration', values.duration);
  const first = parsePositiveInt('--first', values.first, 100_000) ?? 1;
  return withDataDir(values['data-dir'], async (ctx) => {
    const brokerUrl = values.broker ?? `mqtts://localhost:${ctx.config.mqtt.port}`;
    const fleet = await startSimFleet(ctx, {
      profile,
      devices,
      rate,
      brokerUrl,
      firstIndex: first,
      forceExcursion: values['force-excursion'],
      seed: values.seed,
    });
    io.out(
      `simulating ${devices} ${profile} device(s) at ${rate}/s each against ${brokerUrl}${durationMs ? ` for ${durationMs / 1000}s` : ' (Ctrl-C to stop)'}`,
    );
    const progress = setInterval(() => {
      const t = fleet.totals();
      io.out(
        `sent ${t.sent} acked ${t.acked} buffered ${t.buffered} connected ${t.connected}/${devices}${t.errors ? ` errors ${t.errors}` : ''}`,
      );
    }, 5000);
    await new Promise<void>((resolve) => {
      const t = durationMs ? setTimeout(resolve, durationMs) : undefined;
      io.signal.addEventListener('abort', () => {
        if (t) clearTimeout(t);
        resolve();
      });
    });
    clearInterval(progress);
    // Give the outboxes a moment to drain; what is left stays on disk for the next run.
    await fleet.stop({ drainMs: 10_000 });
    const t = fleet.totals();
    io.out(
      `done: sent ${t.sent}, acknowledged ${t.acked}, still buffered ${t.buffered} (kept in the outbox)`,
    );
    return t.buffered === 0 ? 0 : 1;
  });
}
