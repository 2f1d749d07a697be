/**
 * The notification service: hears every alarm change (after it is stored), routes new and
 * upgraded alarms into the durable outbox, escalates unacknowledged ones on their policy's
 * timeline, stops on acknowledgement or resolution, sends through the outbox worker, and raises
 * the system alarm `notify-channel:<channel>` when a channel keeps failing (it reaches people
 * through the other channels).
 *
 * It never blocks its callers: `onAlarmChange` only queues, and everything else runs on its own
 * serial queue and timer, so ingest and the rules never wait for a mail server. Nothing is kept
 * only in memory: routing state, escalations and the outbox are stored, so a restart continues
 * where the last run stopped (and `start` routes alarms that were opened but not yet routed).
 */
import type { Logger } from 'pino';
import type { AlarmRecord, AlarmStore } from '../alarms/alarm-store.ts';
import { iso, isoOrNull } from '../iso-time.ts';
import type { AlarmContextSource } from './alarm-context.ts';
import { alarmLevel, compareLevels } from './alarm-level.ts';
import type { ChannelSender } from './channels/channel.ts';
import { dueStep, type EscalationState, startEscalation, stopEscalation } from './escalation.ts';
import type { NotificationConfig, NotificationDirectory } from './notification-config.ts';
import { buildMessage, type NotificationEvent } from './notification-message.ts';
import type { Channel, Target } from './notification-model.ts';
import type { NotificationStore, OutboxRecord } from './notification-store.ts';
import { onCallAt } from './on-call.ts';
import { outboxItems } from './outbox-items.ts';
import { OutboxWorker, type RetryPolicy } from './outbox-worker.ts';
import { type AlarmFacts, matchingRules, type Recipient, resolveTargets } from './routing.ts';

/** The subject of system alarms (Vigil itself, not a device). */
export const SYSTEM_SUBJECT = 'vigil';
const CHANNEL_RULE = 'notify-channel:';
/** Alarms opened while the service was down are routed at start if detected this recently. */
const CATCH_UP_MS = 24 * 3_600_000;

export interface NotificationSettings extends RetryPolicy {
  /** Link base; a function because the HTTPS port may be known only once the listener is up. */
  dashboardUrl: () => string;
  includePatientFields: boolean;
  sendTimeoutMs: number;
  channelFailureThreshold: number;
  /** 0: no timer (tests call `tick`). */
  tickMs: number;
}

export interface NotificationServiceOptions {
  store: NotificationStore;
  config: NotificationConfig;
  /** Read to check acknowledgements; written for the channel system alarms (use the observed store). */
  alarms: AlarmStore;
  context: AlarmContextSource;
  senders: Readonly<Record<Channel, ChannelSender>>;
  settings: NotificationSettings;
  clock: () => number;
  random: () => number;
  logger: Pick<Logger, 'warn' | 'error' | 'info'>;
}

/** Who is on call for one schedule now (the alarms page); times ISO 8601 UTC. */
export interface OnCallView {
  scheduleId: string;
  scheduleName: string;
  contactId: string | null;
  contactName: string | null;
  since: string | null;
  until: string | null;
  override: boolean;
}

export interface NotificationServiceStats {
  routed: number;
  escalations: number;
  errors: number;
}

export interface NotificationService {
  /** Hears a stored alarm change. Never throws, never waits. */
  onAlarmChange(a: AlarmRecord): void;
  /** Recovers interrupted sends, routes alarms not yet routed, starts the timer. */
  start(): Promise<void>;
  /** Escalations due and outbox due, now (default: the clock). */
  tick(now?: number): Promise<void>;
  /** Resolves when everything queued so far is done (routing and one outbox pass). */
  idle(): Promise<void>;
  onCall(now?: number): Promise<OnCallView[]>;
  readonly stats: NotificationServiceStats;
  stop(): Promise<void>;
}

export function createNotificationService(o: NotificationServiceOptions): NotificationService {
  const { store, config, alarms, settings, clock, logger } = o;
  const stats: NotificationServiceStats = { routed: 0, escalations: 0, errors: 0 };
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  /** Consecutive failed attempts per channel, and when the run of failures began. */
  const failing = new Map<Channel, { count: number; since: number }>();
  /** Channels whose last attempt succeeded and whose system alarm is known to be resolved. */
  const healthy = new Set<Channel>();

  const fail = (err: unknown, what: string) => {
    stats.errors++;
    logger.error({ err }, `notifications: ${what} failed`);
  };
  const enqueue = (what: string, job: () => Promise<void>): Promise<void> => {
    const p = chain.then(job).catch((err) => fail(err, what));
    chain = p;
    return p;
  };

  const worker = new OutboxWorker({
    store,
    senders: o.senders,
    clock,
    random: o.random,
    retry: settings,
    sendTimeoutMs: settings.sendTimeoutMs,
    logger,
    cancelReason: async (r) => {
      if (r.alarmId === null || r.event === 'test') return null;
      const a = await alarms.get(r.alarmId);
      return a?.ack ? ackReason(a) : null;
    },
    onAttempt: (channel, ok, at) => void enqueue('channel health', () => channelHealth(channel, ok, at)),
    onFailure: (err, r) => fail(err, `delivery of notification ${r.id}`),
  });

  const ackReason = (a: AlarmRecord) => `acknowledged by ${a.ack?.name ?? a.ack?.by ?? 'someone'}`;
  const isChannelAlarm = (a: Pick<AlarmRecord, 'subject' | 'rule'>) =>
    a.subject === SYSTEM_SUBJECT && a.rule.startsWith(CHANNEL_RULE);

  // --- routing ----------------------------------------------------------------------------------

  async function message(a: AlarmRecord, event: NotificationEvent, now: number, escalationLevel?: number) {
    const ctx = await o.context(a, now);
    const msg = buildMessage({
      alarm: a,
      level: alarmLevel(a),
      deviceProfile: ctx.deviceProfile,
      shipment: ctx.shipment,
      limit: ctx.limit,
      event,
      ...(escalationLevel !== undefined ? { escalationLevel } : {}),
      dashboardUrl: settings.dashboardUrl(),
      includePatientFields: settings.includePatientFields,
      now,
    });
    return { ctx, msg: { ...msg, data: msg.data as unknown as Record<string, unknown> } };
  }

  async function send(
    a: AlarmRecord,
    event: NotificationEvent,
    recipients: Recipient[],
    escalationLevel: number,
    now: number,
    msg: Awaited<ReturnType<typeof message>>['msg'],
  ): Promise<void> {
    // A failing channel's own alarm goes out through the other channels only.
    const channel = isChannelAlarm(a) ? a.rule.slice(CHANNEL_RULE.length) : null;
    const list = recipients.filter((r) => r.channel !== channel);
    const items = await outboxItems(store, {
      alarmId: a.id,
      event,
      level: alarmLevel(a),
      escalationLevel,
      message: msg,
      recipients: list,
    });
    // Due at once by the wall clock (a tick may be judged at another time than the clock's).
    if (items.length > 0) await store.enqueue(items, Math.min(now, clock()));
  }

  async function route(a: AlarmRecord, now: number): Promise<void> {
    const level = alarmLevel(a);
    const routed = await store.getRouting(a.id);
    if (routed && compareLevels(level, routed.level) <= 0) return;
    const event: NotificationEvent = routed ? 'upgraded' : 'raised';
    const { ctx, msg } = await message(a, event, now);
    const dir = await config.directory();
    const facts: AlarmFacts = {
      level,
      rule: a.rule,
      subject: a.subject,
      profiles: ctx.profiles,
      shipmentId: ctx.shipment?.id ?? null,
      at: a.detectedAt,
    };
    let rules = matchingRules(dir.rules, facts);
    let targets: Target[] = rules.flatMap((r) => r.targets);
    // Nobody routed a channel failure explicitly: tell everyone any enabled rule would tell.
    if (targets.length === 0 && isChannelAlarm(a)) {
      rules = [];
      targets = dir.rules.filter((r) => r.enabled).flatMap((r) => r.targets);
    }
    await send(a, event, resolveTargets(targets, dir, now), 0, now, msg);
    await store.putRouting({ alarmId: a.id, level, at: now });
    stats.routed++;
    await startPolicy(a, rules, dir, now);
  }

  async function startPolicy(
    a: AlarmRecord,
    rules: NotificationDirectory['rules'],
    dir: NotificationDirectory,
    now: number,
  ): Promise<void> {
    const current = await store.getEscalation(a.id);
    if (current?.state === 'active') return;
    for (const r of rules) {
      const p = r.escalationPolicy ? dir.policies.get(r.escalationPolicy) : undefined;
      if (p) return store.putEscalation(startEscalation(p, a.id, r.id, now));
    }
  }

  async function stop(a: AlarmRecord, reason: string, now: number): Promise<void> {
    const e = await store.getEscalation(a.id);
    if (e?.state === 'active') await store.putEscalation(stopEscalation(e, reason, now));
  }

  async function handle(a: AlarmRecord): Promise<void> {
    const now = clock();
    if (a.ack) {
      const reason = ackReason(a);
      await stop(a, reason, now);
      await store.cancelPending(a.id, reason, now);
    } else if (a.state === 'resolved') {
      await stop(a, 'resolved', now);
    } else {
      await route(a, now);
    }
  }

  // --- escalation -------------------------------------------------------------------------------

  async function escalate(e: EscalationState, dir: NotificationDirectory, now: number): Promise<void> {
    const a = await alarms.get(e.alarmId);
    if (!a || a.state === 'resolved' || a.ack) {
      await store.putEscalation(
        stopEscalation(e, !a ? 'alarm gone' : a.ack ? ackReason(a) : 'resolved', now),
      );
      return;
    }
    const p = dir.policies.get(e.policyId);
    if (!p) return store.putEscalation(stopEscalation(e, 'policy removed', now));
    const step = dueStep(p, e, now);
    if (!step) return;
    const targets = p.levels[step.level]?.targets ?? [];
    const { msg } = await message(a, 'escalated', now, step.level + 1);
    await send(a, 'escalated', resolveTargets(targets, dir, now), step.level + 1, now, msg);
    await store.putEscalation(step.next);
    stats.escalations++;
  }

  async function escalations(now: number): Promise<void> {
    const due = await store.dueEscalations(now, 100);
    if (due.length === 0) return;
    const dir = await config.directory();
    for (const e of due) {
      try {
        await escalate(e, dir, now);
      } catch (err) {
        fail(err, `escalation of ${e.alarmId.slice(0, 200)}`);
      }
    }
  }

  // --- channel health ---------------------------------------------------------------------------

  async function channelHealth(channel: Channel, ok: boolean, at: number): Promise<void> {
    const rule = `${CHANNEL_RULE}${channel}`;
    if (ok) {
      // The first success since start (an alarm raised by an earlier run) or after failures.
      if (!failing.delete(channel) && healthy.has(channel)) return;
      healthy.add(channel);
      for (const a of await alarms.list({ rule, subject: SYSTEM_SUBJECT, state: 'active', limit: 10 }))
        await alarms.resolve(a.id, at, at);
      return;
    }
    healthy.delete(channel);
    const f = failing.get(channel) ?? { count: 0, since: at };
    f.count++;
    failing.set(channel, f);
    if (f.count !== settings.channelFailureThreshold) return;
    logger.warn({ channel, failures: f.count }, 'notification channel failing: raising a system alarm');
    await alarms.open(
      {
        rule,
        subject: SYSTEM_SUBJECT,
        kind: 'rule',
        startedAt: f.since,
        raisedAt: at,
        severity: 'critical',
        message: `${channel} notifications are failing: ${f.count} attempts in a row did not go through`,
        peak: f.count,
        unit: null,
        detail: { channel },
      },
      at,
    );
  }

  // --- the timer --------------------------------------------------------------------------------

  /**
   * One tick: claims whose lease ran out go back to the queue (a sender that died, or a delivery
   * whose outcome could not be written), then the escalations due at `now`. Leases are judged by
   * the real clock: `tick(now)` may look ahead for escalations, never for sends still in flight.
   */
  async function onTick(now: number): Promise<void> {
    const released = await store.releaseExpired(clock());
    if (released > 0) logger.warn({ released }, 'notifications whose claim lapsed are queued again');
    await escalations(now);
  }

  // Sending runs beside the serial queue, so a slow provider never holds up routing.
  const kick = () => {
    if (!stopped) worker.runOnce().catch((err) => fail(err, 'outbox'));
  };

  return {
    stats,

    onAlarmChange(a) {
      if (stopped) return;
      void enqueue('routing', () => handle(a)).then(kick);
    },

    async start() {
      await enqueue('start', async () => {
        const now = clock();
        const released = await store.releaseExpired(Number.MAX_SAFE_INTEGER);
        if (released > 0)
          logger.info({ released }, 'notifications interrupted by a restart are queued again');
        for (const a of await alarms.list({ state: 'open', limit: 1000 })) {
          if (a.detectedAt < now - CATCH_UP_MS || (await store.getRouting(a.id))) continue;
          await route(a, now);
        }
      });
      if (settings.tickMs > 0 && !timer) {
        timer = setInterval(() => {
          if (!stopped) void enqueue('tick', () => onTick(clock())).then(kick);
        }, settings.tickMs);
        timer.unref();
      }
      kick();
    },

    async tick(now) {
      await enqueue('tick', () => onTick(now ?? clock()));
      await worker.runOnce();
    },

    async idle() {
      for (let i = 0; i < 100; i++) {
        const tail = chain;
        await tail;
        await worker.idle();
        if (tail === chain) return;
      }
    },

    async onCall(now = clock()) {
      return onCallViews(await config.directory(), now);
    },

    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await chain;
      await worker.idle();
    },
  };
}

/** Who is on call at `now` on every schedule (the API's and `vigil notify on-call`'s view). */
export function onCallViews(
  dir: Pick<NotificationDirectory, 'contacts' | 'schedules'>,
  now: number,
): OnCallView[] {
  return [...dir.schedules.values()].map((s) => {
    const who = onCallAt(s, now);
    const c = who.contact ? dir.contacts.get(who.contact) : undefined;
    return {
      scheduleId: s.id,
      scheduleName: s.name,
      contactId: who.contact,
      contactName: c?.name ?? null,
      since: isoOrNull(who.since),
      until: isoOrNull(who.until),
      override: who.override,
    };
  });
}

/** An outbox entry as the API and `vigil notify ... --json` show it (no channel internals; times ISO 8601 UTC). */
export function outboxView(r: OutboxRecord) {
  return {
    id: r.id,
    alarmId: r.alarmId,
    event: r.event,
    channel: r.channel,
    contactId: r.contactId,
    recipient: r.recipient,
    escalationLevel: r.escalationLevel,
    level: r.level,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: isoOrNull(r.nextAttemptAt),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    sentAt: isoOrNull(r.sentAt),
    lastResponse: r.lastResponse,
    subject: r.message.subject,
  };
}
