import type { CommandRecord } from '../../commands/command-store.ts';
import { commandStateLabel, commandView } from '../../commands/command-view.ts';
import { checkDeviceId } from '../../devices/device-service.ts';
import { createLifecycleServices } from '../../lifecycle/lifecycle-services.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import { type CliIo, parseDuration, parsePositiveInt, usage } from '../io.ts';

const HELP = `usage:
  vigil command send ID OP [--args JSON] [--ttl 10m] [--reason TEXT] [--wait] [--timeout 2m] [--json]
  vigil command list ID [--limit N] [--json]

send stores the command (queued); a running \`vigil start\` on the same data directory seals it and
sends it to the device (now, or when it comes back online) until it is acked or expires.
--wait blocks until the command is acked or expired (exit 1 unless acked ok).`;

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
  const { values, positionals } = parseCommand(rest, {
    args: { type: 'string' },
    ttl: { type: 'string' },
    reason: { type: 'string' },
    wait: { type: 'boolean', default: false },
    timeout: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (!sub || sub === 'help' || sub === '--help') {
    io.out(HELP);
    return sub ? 0 : 2;
  }
  const id = positionals[0] ?? '';
  if (!id) usage(`device id required\n${HELP}`);
  checkDeviceId(id);
  if (sub === 'send') {
    const op = positionals[1] ?? '';
    if (!/^[a-z_]{2,32}$/.test(op)) usage(`OP must match ^[a-z_]{2,32}$\n${HELP}`);
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
          cmd = (await ctx.commandStore.get(cmd.id)) ?? cmd;
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
      if (!(await ctx.store.getDevice(id))) usage(`unknown device ${id}`);
      const list = await ctx.commandStore.list({ deviceId: id, limit, newestFirst: true });
      if (values.json) for (const c of list) io.out(JSON.stringify(commandView(c)));
      else {
        io.out(`${'ID'.padEnd(36)} ${'OP'.padEnd(14)} ${'STATE'.padEnd(13)} ${'SENDS'.padEnd(8)} CREATED`);
        for (const c of list) io.out(line(c));
        io.out(`${list.length} command(s)`);
      }
      return 0;
    });
  }
  usage(`unknown command subcommand "${sub}"\n${HELP}`);
}
