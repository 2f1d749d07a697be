import { DEVICE_PROFILES, isDeviceProfile } from '../../protocol/device-profile.ts';
import { startSimFleet } from '../../sim/runner.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, parseDuration, parsePositiveInt, usage } from '../io.ts';

export const simHelp: CommandHelp = {
  forms: {
    '': {
      synopsis: `sim --devices N --profile ${DEVICE_PROFILES.join('|')} [--rate R] [--duration D] [--broker URL] [--first K] [--seed S] [--force-excursion]`,
      about:
        'Simulated devices through the real path: each with its own bundle (provisioned on first use), mTLS, envelopes and a persisted sequence number. Runs until --duration or Ctrl-C; exit 1 when not every reading was acknowledged.',
      options: [
        ['--devices N', 'how many devices (sim-truck-001, sim-vitals-001, sim-probe-001, ...)'],
        ['--profile P', DEVICE_PROFILES.join(', ')],
        ['--rate R', 'readings per second per device (default 1)'],
        ['--duration D', 'how long, like 90s, 10m, 2h (default: until Ctrl-C)'],
        ['--broker URL', 'mqtts://HOST:PORT (default mqtts://localhost:mqtt.port)'],
        ['--first K', 'number of the first device (default 1)'],
        ['--seed S', 'seed of the simulated values (repeatable runs)'],
        ['--force-excursion', 'make the first truck warm up (a heat excursion)'],
      ],
    },
  },
};

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
  const devices = parsePositiveInt('--devices', values.devices, 10_000) ?? usage('--devices N is required');
  const profile = values.profile ?? usage(`--profile is required: one of ${DEVICE_PROFILES.join(', ')}`);
  if (!isDeviceProfile(profile)) usage(`--profile must be one of ${DEVICE_PROFILES.join(', ')}`);
  const rate = values.rate === undefined ? 1 : Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0 || rate > 1000)
    usage('--rate must be readings per second per device, > 0 and <= 1000');
  const durationMs = parseDuration('--duration', values.duration);
  const first = parsePositiveInt('--first', values.first, 100_000) ?? 1;
  return withDataDir(
    values['data-dir'],
    async (ctx) => {
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
      // Progress for a person watching; a log or a pipe gets the summary only.
      const progress = setInterval(() => {
        if (!io.terminal?.stdout) return;
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
    },
    { env: io.env },
  );
}
