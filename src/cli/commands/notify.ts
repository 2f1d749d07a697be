import { createSenders } from '../../notifications/channels/senders.ts';
import { dashboardUrlOf } from '../../notifications/dashboard-url.ts';
import { NotificationConfig } from '../../notifications/notification-config.ts';
import { CHANNELS, type Channel } from '../../notifications/notification-model.ts';
import { type OnCallView, outboxView } from '../../notifications/notification-service.ts';
import { OUTBOX_STATES, type OutboxState } from '../../notifications/notification-store.ts';
import { onCallAt } from '../../notifications/on-call.ts';
import { sendTestNotification } from '../../notifications/test-notification.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import { type CliIo, ExitError, parsePositiveInt, usage } from '../io.ts';

const USAGE = `usage: vigil notify test --channel ${CHANNELS.join('|')} --to ADDRESS [--json]
       vigil notify outbox [--alarm ID] [--state ${OUTBOX_STATES.join('|')}] [--limit N] [--json]
       vigil notify on-call [--json]`;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A notification as `--json` prints it (ISO 8601 times). */
function outboxJson(r: ReturnType<typeof outboxView>) {
  return {
    ...r,
    nextAttemptAt: iso(r.nextAttemptAt),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    sentAt: iso(r.sentAt),
  };
}

/**
 * `vigil notify`: send a test through a channel (with the settings and credentials stored by the
 * admin; recorded and audited like the dashboard's test), list the outbox, show who is on call.
 */
export async function notifyCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'test') return testCommand(rest, io);
  if (sub === 'outbox') return outboxCommand(rest, io);
  if (sub === 'on-call') return onCallCommand(rest, io);
  usage(USAGE);
}

async function testCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    channel: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length > 0 || !values.channel || !values.to) usage(USAGE);
  if (!(CHANNELS as readonly string[]).includes(values.channel))
    usage(`--channel must be one of ${CHANNELS.join(', ')}`);
  const channel = values.channel as Channel;
  const to = values.to;
  return withDataDir(values['data-dir'], async (ctx) => {
    const store = ctx.notificationStore;
    const config = new NotificationConfig({ store, master: ctx.master, audit: ctx.store, clock: ctx.clock });
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
      if (values.json) io.out(JSON.stringify(outboxJson(outboxView(r))));
      else
        io.out(
          `${r.state === 'sent' ? 'sent' : 'FAILED'} ${r.channel} to ${r.recipient}: ${r.lastResponse ?? ''}`,
        );
    }
    if (rows.some((r) => r.state !== 'sent')) throw new ExitError(`${channel} test not delivered`, 1);
    return 0;
  });
}

async function outboxCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    alarm: { type: 'string' },
    state: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) usage(USAGE);
  if (values.state !== undefined && !(OUTBOX_STATES as readonly string[]).includes(values.state))
    usage(`--state must be one of ${OUTBOX_STATES.join(', ')}`);
  const limit = parsePositiveInt('--limit', values.limit, 1000) ?? 100;
  return withDataDir(values['data-dir'], async (ctx) => {
    const rows = await ctx.notificationStore.listOutbox({
      ...(values.alarm !== undefined ? { alarmId: values.alarm } : {}),
      ...(values.state !== undefined ? { state: values.state as OutboxState } : {}),
      limit,
    });
    for (const r of rows.map(outboxView)) {
      if (values.json) io.out(JSON.stringify(outboxJson(r)));
      else
        io.out(
          `${iso(r.createdAt)} ${r.state.padEnd(9)} ${r.channel.padEnd(7)} ${r.recipient} ${r.event}${r.escalationLevel ? ` L${r.escalationLevel}` : ''} ${r.alarmId ?? '-'} (${r.attempts} attempt(s)) ${r.lastResponse ?? ''}`,
        );
    }
    if (!values.json) io.err(`${rows.length} notification(s)`);
    return 0;
  });
}

async function onCallCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, { json: { type: 'boolean', default: false } });
  if (positionals.length > 0) usage(USAGE);
  return withDataDir(values['data-dir'], async (ctx) => {
    const config = new NotificationConfig({
      store: ctx.notificationStore,
      master: ctx.master,
      audit: ctx.store,
      clock: ctx.clock,
    });
    const dir = await config.directory();
    const now = ctx.clock();
    for (const s of dir.schedules.values()) {
      const who = onCallAt(s, now);
      const v: OnCallView = {
        scheduleId: s.id,
        scheduleName: s.name,
        contactId: who.contact,
        contactName: who.contact ? (dir.contacts.get(who.contact)?.name ?? null) : null,
        since: who.since,
        until: who.until,
        override: who.override,
      };
      if (values.json) io.out(JSON.stringify({ ...v, since: iso(v.since), until: iso(v.until) }));
      else
        io.out(
          `${s.id}: ${v.contactName ?? 'nobody'}${v.override ? ' (override)' : ''} until ${iso(v.until) ?? '-'}`,
        );
    }
    return 0;
  });
}
