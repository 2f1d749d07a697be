import type { CommandRecord } from '../../commands/command-store.ts';
import { commandStateLabel, commandView } from '../../commands/command-view.ts';
import { checkDeviceId } from '../../devices/device-service.ts';
import { VigilError } from '../../errors.ts';
import { createLifecycleServices } from '../../lifecycle/lifecycle-services.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, parseDuration, parsePositiveInt, usage } from '../io.ts';

export const commandHelp: CommandHelp = {
  forms: {
    send: {
      synopsis:
        'command send ID OP [--args JSON] [--ttl 10m] [--reason TEXT] [--wait] [--timeout 2m] [--json]',
      about:
        'Stores a signed command to the device (queued); a running `vigil start` on the same data directory seals it under the current key and sends it (now, or when the device comes back online) until it is acked or expires. Ops: set_interval, set_limits, reboot, identify, rotate_key, renew_cert (docs/protocol.md §7.4). Audited.',
      options: [
        ['--args JSON', 'the arguments as a flat JSON object, e.g. \'{"seconds":60}\''],
        ['--ttl D', 'how long it may wait for the device (default 10m; 1s to 30d)'],
        ['--reason TEXT', 'why (audited with the command)'],
        ['--wait', 'wait for the ack (exit 1 unless acked ok)'],
        ['--timeout D', 'how long --wait waits (default 2m)'],
        ['--json', 'print the command as one JSON object'],
      ],
    },
    list: {
      synopsis: 'command list ID [--limit N] [--json]',
      about:
        "The device's commands, newest first, with their state: queued, sent, acked(ok), acked(error), expired.",
      options: [
        ['--limit N', 'at most N commands (default 100, at most 10000)'],
        ['--json', 'one JSON object per command (NDJSON)'],
      ],
    },
  },
};

const iso = (s: string | null) => s ?? '-';

function line(c: CommandRecord): string {
  const v = commandView(c);
  return [
    v.id,
    v.op.padEnd(14),
    commandStateLabel(c).padEnd(13),
    `sent ${v.sendCount}`.padEnd(8),
    iso(v.createdAt),
    c.error ? `error: ${c.error}` : '',
  ]
    .join(' ')
    .trimEnd();
}

/** `vigil command send|list`: server → device commands (docs/protocol.md §7.3). */
export async function commandCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommand(
    rest,
    {
      args: { type: 'string' },
      ttl: { type: 'string' },
      reason: { type: 'string' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    { positionals: sub === 'send' ? 2 : 1 },
  );
  const id = positionals[0] ?? '';
  if (!id) usage('the device ID is missing');
  checkDeviceId(id);
  if (sub === 'send') {
    const op = positionals[1] ?? '';
    if (!op) usage('the command OP is missing (e.g. identify)');
    if (!/^[a-z_]{2,32}$/.test(op)) usage('OP must match ^[a-z_]{2,32}$');
    let args: Record<string, unknown> = {};
    if (values.args !== undefined) {
      try {
        args = JSON.parse(values.args) as Record<string, unknown>;
      } catch {
        usage('--args must be a JSON object, e.g. \'{"seconds":60}\'');
      }
      if (typeof args !== 'object' || args === null || Array.isArray(args))
        usage('--args must be a JSON object');
    }
    const ttlMs = parseDuration('--ttl', values.ttl);
    const timeoutMs = parseDuration('--timeout', values.timeout) ?? 120_000;
    return withDataDir(values['data-dir'], async (ctx) => {
      const { commands } = createLifecycleServices(ctx);
      let cmd = await commands.send({
        deviceId: id,
        op,
        args,
        ttlMs: ttlMs === undefined ? undefined : Math.round(ttlMs),
        actor: 'cli',
        reason: values.reason,
      });
      if (values.wait) {
        // The running server sends it; the store tells us when the device answered.
        const deadline = Date.now() + timeoutMs;
        while (
          (cmd.state === 'queued' || cmd.state === 'sent') &&
          Date.now() < deadline &&
          !io.signal?.aborted
        ) {
          await new Promise((r) => setTimeout(r, 200));
          cmd = (await ctx.lifecycleStores.commands.get(cmd.id)) ?? cmd;
        }
      }
      if (values.json) io.out(JSON.stringify(commandView(cmd)));
      else
        io.out(
          `command ${cmd.id} ${op} to ${id}: ${commandStateLabel(cmd)}${cmd.error ? ` (${cmd.error})` : ''}`,
        );
      if (!values.wait) return 0;
      if (cmd.state === 'queued' || cmd.state === 'sent') {
        io.err(
          `vigil command: no answer within ${Math.round(timeoutMs / 1000)} s (still ${cmd.state}; is vigil start running?)`,
        );
        return 1;
      }
      return cmd.state === 'acked' && cmd.outcome === 'ok' ? 0 : 1;
    });
  }
  if (sub === 'list') {
    const limit = parsePositiveInt('--limit', values.limit, 10_000) ?? 100;
    return withDataDir(values['data-dir'], async (ctx) => {
      if (!(await ctx.store.getDevice(id))) throw new VigilError('VIGIL_ERR_NOT_FOUND', `device ${id}`);
      const list = await ctx.lifecycleStores.commands.list({ deviceId: id, limit, newestFirst: true });
      if (values.json) for (const c of list) io.out(JSON.stringify(commandView(c)));
      else {
        io.out(`${'ID'.padEnd(36)} ${'OP'.padEnd(14)} ${'STATE'.padEnd(13)} ${'SENDS'.padEnd(8)} CREATED`);
        for (const c of list) io.out(line(c));
        io.out(`${list.length} command(s)`);
      }
      return 0;
    });
  }
  return usage(`unknown subcommand "${sub}"`);
}
