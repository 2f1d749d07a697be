import type { VigilContext } from '../../data-dir/context.ts';
import { escapeControl } from '../../escape-control.ts';
import { createSenders } from '../../notifications/channels/senders.ts';
import { dashboardUrlOf } from '../../notifications/dashboard-url.ts';
import { NotificationConfig } from '../../notifications/notification-config.ts';
import { CHANNELS, type Channel } from '../../notifications/notification-model.ts';
import { onCallViews, outboxView } from '../../notifications/notification-service.ts';
import { OUTBOX_STATES, type OutboxState } from '../../notifications/notification-store.ts';
import { sendTestNotification } from '../../notifications/test-notification.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, ExitError, parsePositiveInt, usage } from '../io.ts';

export const notifyHelp: CommandHelp = {
  forms: {
    test: {
      synopsis: `notify test --channel ${CHANNELS.join('|')} --to ADDRESS [--json]`,
      about:
        "Sends a test notification now through one channel, with the settings and credentials stored in Admin → Notifications; prints the provider's answer. Recorded in the outbox and audited. Exit 1 when the provider refused it.",
      options: [
        ['--channel C', CHANNELS.join(', ')],
        [
          '--to ADDRESS',
          'an e-mail address, an E.164 number (sms, voice), a webhook contact (URL or contact id) or a user name (push)',
        ],
        ['--json', 'one JSON object per notification sent (NDJSON)'],
      ],
    },
    outbox: {
      synopsis: `notify outbox [--alarm ID] [--state ${OUTBOX_STATES.join('|')}] [--limit N] [--json]`,
      about: 'The recorded notifications, newest first, with their state and the last provider answer.',
      options: [
        ['--alarm ID', "only this alarm's notifications"],
        ['--state S', `only notifications in this state: ${OUTBOX_STATES.join(', ')}`],
        ['--limit N', 'at most N notifications (default 100, at most 1000)'],
        ['--json', 'one JSON object per notification (NDJSON)'],
      ],
    },
    'on-call': {
      synopsis: 'notify on-call [--json]',
      about: 'Who is on call now on every on-call schedule, and until when.',
      options: [['--json', 'one JSON object per schedule (NDJSON)']],
    },
  },
};

const configOf = (ctx: VigilContext) =>
  new NotificationConfig({
    store: ctx.notificationStore,
    master: ctx.master,
    audit: ctx.store,
    clock: ctx.clock,
  });

/**
 * `vigil notify`: send a test through a channel (with the settings and credentials stored by the
 * admin; recorded and audited like the dashboard's test), list the outbox, show who is on call.
 */
export async function notifyCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'test') return testCommand(rest, io);
  if (sub === 'outbox') return outboxCommand(rest, io);
  if (sub === 'on-call') return onCallCommand(rest, io);
  return usage(`unknown subcommand "${sub ?? ''}"`);
}

async function testCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    { channel: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean', default: false } },
    { positionals: false },
  );
  if (!values.channel) usage(`--channel is required: one of ${CHANNELS.join(', ')}`);
  if (!(CHANNELS as readonly string[]).includes(values.channel))
    usage(`--channel must be one of ${CHANNELS.join(', ')}`);
  if (!values.to) usage('--to is required: the address to send the test to');
  const channel = values.channel as Channel;
  const to = values.to;
  return withDataDir(
    values['data-dir'],
    async (ctx) => {
      const store = ctx.notificationStore;
      const config = configOf(ctx);
      const timeoutMs = ctx.config.notifications.sendTimeoutMs;
      const rows = await sendTestNotification(
        {
          store,
          config,
          senders: createSenders({ config, store, clock: ctx.clock, timeoutMs }),
          audit: ctx.store,
          clock: ctx.clock,
          dashboardUrl: dashboardUrlOf(ctx.config, () => ctx.config.http.port),
          timeoutMs,
        },
        channel,
        to,
        'cli',
      );
      for (const r of rows) {
        if (values.json) io.out(escapeControl(JSON.stringify(outboxView(r))));
        // Recipients and provider answers are text from outside: kept on one line.
        else
          io.out(
            escapeControl(
              `${r.state === 'sent' ? 'sent' : 'FAILED'} ${r.channel} to ${r.recipient}: ${r.lastResponse ?? ''}`,
            ),
          );
      }
      if (rows.some((r) => r.state !== 'sent')) throw new ExitError(`${channel} test not delivered`, 1);
      return 0;
    },
    { env: io.env },
  );
}

async function outboxCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      alarm: { type: 'string' },
      state: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    { positionals: false },
  );
  if (values.state !== undefined && !(OUTBOX_STATES as readonly string[]).includes(values.state))
    usage(`--state must be one of ${OUTBOX_STATES.join(', ')}`);
  const limit = parsePositiveInt('--limit', values.limit, 1000) ?? 100;
  return withDataDir(
    values['data-dir'],
    async (ctx) => {
      const rows = await ctx.notificationStore.listOutbox({
        ...(values.alarm !== undefined ? { alarmId: values.alarm } : {}),
        ...(values.state !== undefined ? { state: values.state as OutboxState } : {}),
        limit,
      });
      for (const r of rows.map(outboxView)) {
        if (values.json) io.out(escapeControl(JSON.stringify(r)));
        else
          io.out(
            escapeControl(
              `${r.createdAt} ${r.state.padEnd(9)} ${r.channel.padEnd(7)} ${r.recipient} ${r.event}${r.escalationLevel ? ` L${r.escalationLevel}` : ''} ${r.alarmId ?? '-'} (${r.attempts} attempt(s)) ${r.lastResponse ?? ''}`,
            ),
          );
      }
      if (!values.json) io.err(`${rows.length} notification(s)`);
      return 0;
    },
    { env: io.env },
  );
}

async function onCallCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    { json: { type: 'boolean', default: false } },
    { positionals: false },
  );
  return withDataDir(
    values['data-dir'],
    async (ctx) => {
      for (const v of onCallViews(await configOf(ctx).directory(), ctx.clock())) {
        if (values.json) io.out(escapeControl(JSON.stringify(v)));
        else
          io.out(
            escapeControl(
              `${v.scheduleId}: ${v.contactName ?? 'nobody'}${v.override ? ' (override)' : ''} until ${v.until ?? '-'}`,
            ),
          );
      }
      return 0;
    },
    { env: io.env },
  );
}
