import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { AlarmStore, OpenAlarmInput } from '../alarms/alarm-store.ts';
import { observeAlarmStore } from '../alarms/observed-alarm-store.ts';
import { MasterKey } from '../keys/master-key.ts';
import { freshSqlite } from '../storage/adapters/sqlite.fixture.ts';
import type { SqliteAdapters } from '../storage/adapters/sqlite-adapters.ts';
import type { AlarmContextSource } from './alarm-context.ts';
import type { ChannelSender, Delivery, SendResult } from './channels/channel.ts';
import { NotificationConfig } from './notification-config.ts';
import type { Channel } from './notification-model.ts';
import {
  createNotificationService,
  type NotificationService,
  SYSTEM_SUBJECT,
} from './notification-service.ts';
import type { NotificationStore } from './notification-store.ts';

const T = Date.UTC(2026, 11, 7, 9, 0); // a Monday, 09:00 UTC
const MIN = 60_000;
const fresh = freshSqlite('notify-service');
const silent = { warn: () => {}, error: () => {}, info: () => {} };

/** Senders that record every delivery and fail while their channel is in `down`. */
function fakeSenders() {
  const sent: { channel: Channel; to: string; subject: string; event: unknown }[] = [];
  const down = new Set<Channel>();
  const make = (channel: Channel): ChannelSender => ({
    async send(d: Delivery): Promise<SendResult> {
      if (down.has(channel)) return { ok: false, response: '451 try later' };
      sent.push({ channel, to: d.to, subject: d.message.subject, event: d.message.data.event });
      return { ok: true, response: '250 ok' };
    },
  });
  const senders = {
    email: make('email'),
    sms: make('sms'),
    voice: make('voice'),
    webhook: make('webhook'),
    push: make('push'),
  };
  return { senders, sent, down };
}

const context: AlarmContextSource = async (a) => ({
  deviceProfile: a.subject === SYSTEM_SUBJECT ? null : 'vaccine-transport',
  shipment:
    a.subject === SYSTEM_SUBJECT
      ? null
      : { id: 'shp-abcdefghij', profile: 'refrigerated', lots: ['LOT-7'], batchId: 'B-1' },
  profiles: ['vaccine-transport', 'refrigerated'],
  limit: 8,
});

interface Rig {
  db: SqliteAdapters;
  alarms: AlarmStore;
  config: NotificationConfig;
  service: NotificationService;
  sent: ReturnType<typeof fakeSenders>['sent'];
  down: Set<Channel>;
  clock: { now: number };
  restart(): Promise<void>;
}

async function rig(o: { maxAttempts?: number; threshold?: number; failRecords?: number } = {}): Promise<Rig> {
  const db = fresh();
  // A store whose first `failRecords` outcome writes fail (a database that refused the write).
  let failRecords = o.failRecords ?? 0;
  const recordAttempt: NotificationStore['recordAttempt'] = (...args) =>
    failRecords-- > 0
      ? Promise.reject(new Error('SQLITE_BUSY: database is locked'))
      : db.notifications.recordAttempt(...args);
  const store = new Proxy(db.notifications, {
    get: (target, key) => {
      if (key === 'recordAttempt') return recordAttempt;
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const clock = { now: T };
  const master = new MasterKey(randomBytes(32));
  const fake = fakeSenders();
  let service: NotificationService | undefined;
  const alarms = observeAlarmStore(db.alarms, (a) => service?.onAlarmChange(a));
  const config = new NotificationConfig({
    store: db.notifications,
    master,
    audit: db.store,
    clock: () => clock.now,
  });
  const make = () =>
    createNotificationService({
      store,
      config,
      alarms,
      context,
      senders: fake.senders,
      settings: {
        dashboardUrl: () => 'https://vigil.example:8443',
        includePatientFields: false,
        maxAttempts: o.maxAttempts ?? 5,
        retryBaseMs: 30_000,
        retryMaxMs: 600_000,
        sendTimeoutMs: 2000,
        channelFailureThreshold: o.threshold ?? 3,
        tickMs: 0,
      },
      clock: () => clock.now,
      random: () => 0.5,
      logger: silent,
    });
  service = make();
  await service.start();
  const r: Rig = {
    db,
    alarms,
    config,
    service,
    sent: fake.sent,
    down: fake.down,
    clock,
    async restart() {
      await r.service.stop();
      service = make();
      r.service = service;
      await service.start();
      await service.idle();
    },
  };
  return r;
}

async function directory(config: NotificationConfig): Promise<void> {
  const admin = 'user:admin';
  await config.put(
    'contact',
    { id: 'quinn', name: 'Quinn', phone: '+31600000001', email: 'quinn@example.org' },
    admin,
  );
  await config.put('contact', { id: 'olga', name: 'Olga', email: 'olga@example.org' }, admin);
  await config.put(
    'contact',
    { id: 'omar', name: 'Omar', email: 'omar@example.org', phone: '+31600000003' },
    admin,
  );
  await config.put('contact', { id: 'boss', name: 'Boss', phone: '+31600000009' }, admin);
  await config.put('group', { id: 'operators', name: 'Operators', members: ['olga', 'omar'] }, admin);
  await config.put(
    'schedule',
    {
      id: 'quality',
      name: 'Quality on call',
      startDate: '2026-11-30',
      members: ['quinn', 'omar'],
      handoffTime: '09:00',
    },
    admin,
  );
  await config.put(
    'policy',
    {
      id: 'cold-chain',
      name: 'Cold chain',
      ackTimeoutMinutes: 10,
      repeatMinutes: 5,
      finalRepeats: 1,
      levels: [
        { targets: [{ type: 'group', id: 'operators', channels: ['sms'] }] },
        { targets: [{ type: 'contact', id: 'boss', channels: ['voice'] }] },
      ],
    },
    admin,
  );
  await config.put(
    'rule',
    {
      id: 'critical-cold-chain',
      name: 'Critical cold chain',
      match: { levels: ['critical', 'regulatory'], profiles: ['refrigerated'] },
      targets: [
        { type: 'schedule', id: 'quality', channels: ['sms'] },
        { type: 'group', id: 'operators', channels: ['email'] },
      ],
      escalationPolicy: 'cold-chain',
    },
    admin,
  );
}

const heat = (over: Partial<OpenAlarmInput> = {}): OpenAlarmInput => ({
  rule: 'critical:above',
  subject: 'truck-0001',
  startedAt: T - 60 * MIN,
  raisedAt: T,
  detectedAt: T,
  severity: 'critical',
  message: 'above 8 °C for 60 min',
  peak: 9.2,
  unit: 'C',
  ...over,
});

const who = (r: Rig) => r.sent.map((s) => `${s.channel}:${s.to}`).sort();

describe('notification service', () => {
  it('routes a critical cold-chain alarm to the on-call person by SMS and the operators by e-mail', async () => {
    const r = await rig();
    await directory(r.config);
    await r.alarms.open(heat(), T);
    await r.service.idle();
    // Week of 2026-11-30 09:00: Quinn; 2026-12-07 09:00 (now): Omar.
    assert.deepEqual(who(r), ['email:olga@example.org', 'email:omar@example.org', 'sms:+31600000003']);
    const mail = r.sent.find((s) => s.channel === 'email');
    assert.match(
      mail?.subject ?? '',
      /^\[Vigil CRITICAL\] critical above on truck-0001 \(shp-abcdefghij\): 9\.2 °C/,
    );
    const rows = await r.db.notifications.listOutbox({ state: 'sent' });
    assert.equal(rows.length, 3);
    assert.ok(rows.every((x) => x.lastResponse === '250 ok' && x.sentAt === T && x.attempts === 1));
    // The same alarm updated (peak moves) is not notified again.
    await r.alarms.open(heat({ peak: 9.8 }), T + MIN);
    await r.service.idle();
    assert.equal(r.sent.length, 3);
    await r.db.store.close();
  });

  it('does not notify alarms no rule matches (a warning, another profile)', async () => {
    const r = await rig();
    await directory(r.config);
    await r.alarms.open(heat({ rule: 'warning:above', severity: 'warning' }), T);
    await r.service.idle();
    assert.equal(r.sent.length, 0);
    await r.db.store.close();
  });

  it('escalates on the policy timeline (injected clock) until the last level repeats out', async () => {
    const r = await rig();
    await directory(r.config);
    await r.alarms.open(heat(), T);
    await r.service.idle();
    const first = r.sent.length;
    const at = async (m: number) => {
      r.clock.now = T + m * MIN;
      await r.service.tick();
      await r.service.idle();
      return r.sent.slice(first).map((s) => `${s.channel}:${s.to}`);
    };
    assert.deepEqual(await at(9.9), [], 'not before ackTimeoutMinutes');
    assert.deepEqual(
      await at(10),
      ['sms:+31600000003'],
      'level 1: the operators by SMS (Olga has no phone: skipped)',
    );
    assert.deepEqual(await at(14), ['sms:+31600000003']);
    assert.deepEqual(await at(15), ['sms:+31600000003', 'voice:+31600000009'], 'level 2 after repeatMinutes');
    assert.deepEqual(
      await at(20),
      ['sms:+31600000003', 'voice:+31600000009', 'voice:+31600000009'],
      'the last level repeats',
    );
    assert.equal((await at(60)).length, 3, 'finalRepeats reached: nothing more');
    const e = await r.db.notifications.getEscalation(`truck-0001/critical:above/${T}`);
    assert.deepEqual([e?.state, e?.sent], ['exhausted', 3]);
    const skipped = await r.db.notifications.listOutbox({ state: 'skipped' });
    assert.ok(
      skipped.some(
        (s) => s.contactId === 'olga' && s.channel === 'sms' && /no sms address/.test(s.lastResponse ?? ''),
      ),
    );
    await r.db.store.close();
  });

  it('acknowledgement stops escalation on every channel, including retries still pending', async () => {
    const r = await rig();
    await directory(r.config);
    r.down.add('email');
    const { alarm } = await r.alarms.open(heat(), T);
    await r.service.idle();
    assert.equal(
      (await r.db.notifications.listOutbox({ alarmId: alarm.id, state: 'pending' })).length,
      2,
      'e-mails wait for a retry',
    );
    r.clock.now = T + 2 * MIN;
    await r.alarms.acknowledge(alarm.id, {
      by: 'user:quinn',
      at: r.clock.now,
      reason: 'load moved',
      meaning: 'reviewed',
      name: 'Quinn Q',
      role: 'quality',
    });
    await r.service.idle();
    r.down.clear();
    const before = r.sent.length;
    for (const m of [10, 15, 20, 40]) {
      r.clock.now = T + m * MIN;
      await r.service.tick();
      await r.service.idle();
    }
    assert.equal(r.sent.length, before, 'nothing after the acknowledgement');
    const rows = await r.db.notifications.listOutbox({ alarmId: alarm.id });
    assert.deepEqual(
      rows.filter((x) => x.channel === 'email').map((x) => x.state),
      ['cancelled', 'cancelled'],
    );
    assert.match(rows.find((x) => x.state === 'cancelled')?.lastResponse ?? '', /acknowledged by Quinn Q/);
    const e = await r.db.notifications.getEscalation(alarm.id);
    assert.deepEqual([e?.state, e?.reason], ['stopped', 'acknowledged by Quinn Q']);
    await r.db.store.close();
  });

  it('retries with backoff, and a failing channel raises a system alarm that goes out through the others', async () => {
    const r = await rig({ threshold: 2 });
    await directory(r.config);
    r.down.add('email');
    const { alarm } = await r.alarms.open(heat(), T);
    await r.service.idle();
    const mails = () =>
      r.db.notifications
        .listOutbox({ alarmId: alarm.id })
        .then((l) => l.filter((x) => x.channel === 'email'));
    // Two e-mails failed once each: the channel failed twice in a row (threshold 2).
    const pending = await mails();
    assert.deepEqual(
      pending.map((x) => [x.state, x.attempts]),
      [
        ['pending', 1],
        ['pending', 1],
      ],
    );
    assert.equal(pending[0]?.nextAttemptAt, T + 30_000, 'first retry after retryBaseMs (jitter 0)');
    const sys = await r.alarms.list({ subject: SYSTEM_SUBJECT, state: 'active' });
    assert.deepEqual(
      sys.map((a) => [a.rule, a.severity]),
      [['notify-channel:email', 'critical']],
    );
    // Routed like any critical alarm, but never through the failing channel (no profile: fallback to every rule's targets).
    const sysRows = await r.db.notifications.listOutbox({ alarmId: sys[0]?.id });
    assert.ok(sysRows.length > 0);
    assert.ok(
      sysRows.every((x) => x.channel !== 'email'),
      JSON.stringify(sysRows.map((x) => x.channel)),
    );
    assert.ok(r.sent.some((s) => s.channel === 'sms' && /email notifications failing/.test(s.subject)));
    // Second attempt fails too: the delay doubles.
    r.clock.now = T + 30_000;
    await r.service.tick();
    await r.service.idle();
    assert.deepEqual(
      (await mails()).map((x) => [x.attempts, x.nextAttemptAt]),
      [
        [2, T + 90_000],
        [2, T + 90_000],
      ],
    );
    // The channel recovers: the retries go out and the system alarm resolves.
    r.down.clear();
    r.clock.now = T + 90_000;
    await r.service.tick();
    await r.service.idle();
    assert.deepEqual(
      (await mails()).map((x) => x.state),
      ['sent', 'sent'],
    );
    assert.equal((await r.alarms.list({ subject: SYSTEM_SUBJECT, state: 'active' })).length, 0);
    const attempts = await r.db.notifications.attempts(pending[0]?.id ?? 0);
    assert.deepEqual(
      attempts.map((a) => [a.ok, a.response]),
      [
        [false, '451 try later'],
        [false, '451 try later'],
        [true, '250 ok'],
      ],
    );
    await r.db.store.close();
  });

  it('gives up after maxAttempts and records the failure', async () => {
    const r = await rig({ maxAttempts: 2, threshold: 50 });
    await directory(r.config);
    r.down.add('email');
    const { alarm } = await r.alarms.open(heat(), T);
    await r.service.idle();
    r.clock.now = T + 60_000;
    await r.service.tick();
    await r.service.idle();
    const mails = (await r.db.notifications.listOutbox({ alarmId: alarm.id })).filter(
      (x) => x.channel === 'email',
    );
    assert.deepEqual(
      mails.map((x) => [x.state, x.attempts, x.nextAttemptAt]),
      [
        ['failed', 2, null],
        ['failed', 2, null],
      ],
    );
    await r.db.store.close();
  });

  it('sends again, without a restart, a notification whose outcome could not be written, and counts the error', async () => {
    const r = await rig({ failRecords: 1 });
    await directory(r.config);
    const { alarm } = await r.alarms.open(heat(), T);
    await r.service.idle();
    const rows = () => r.db.notifications.listOutbox({ alarmId: alarm.id });
    assert.deepEqual(
      (await rows()).map((x) => x.state).sort(),
      ['sending', 'sent', 'sent'],
      'the first delivery went out but its outcome was not recorded',
    );
    assert.equal(r.service.stats.errors, 1, 'the failed write is counted, not swallowed');
    // Within the lease (2 × sendTimeoutMs + 5 s) nothing is sent twice; after it, the claim lapses.
    r.clock.now = T + 8_000;
    await r.service.tick();
    await r.service.idle();
    assert.equal(r.sent.length, 3);
    r.clock.now = T + 10_000;
    await r.service.tick();
    await r.service.idle();
    assert.deepEqual(
      (await rows()).map((x) => x.state),
      ['sent', 'sent', 'sent'],
    );
    assert.equal(r.sent.length, 4, 'at least once: the unrecorded one went out again');
    await r.db.store.close();
  });

  it('loses nothing across a restart: queued retries, interrupted sends and alarms not yet routed', async () => {
    const r = await rig();
    await directory(r.config);
    r.down.add('email');
    const { alarm } = await r.alarms.open(heat(), T);
    await r.service.idle();
    // A send interrupted by a crash (claimed, never recorded) and an alarm stored while the
    // service was not listening (written straight to the inner store).
    await r.db.notifications.enqueue(
      [
        {
          alarmId: alarm.id,
          event: 'raised',
          channel: 'webhook',
          contactId: 'olga',
          recipient: 'https://hooks.example/x',
          target: {},
          message: { subject: 'interrupted', text: '', short: '', link: '', data: {} },
          escalationLevel: 0,
          level: 'critical',
          leaseUntil: T + 3_600_000,
        },
      ],
      T,
    );
    await r.db.alarms.open(heat({ subject: 'truck-0002', detectedAt: T }), T);
    r.down.clear();
    r.clock.now = T + 31_000;
    await r.restart();
    await r.service.tick();
    await r.service.idle();
    const states = (await r.db.notifications.listOutbox({ alarmId: alarm.id })).map(
      (x) => `${x.channel}:${x.state}`,
    );
    assert.deepEqual(states.sort(), ['email:sent', 'email:sent', 'sms:sent', 'webhook:sent']);
    assert.ok(
      r.sent.some((s) => s.subject.includes('truck-0002')),
      'the unrouted alarm was routed at start',
    );
    await r.db.store.close();
  });

  it('shows who is on call now, with an override winning over the rotation', async () => {
    const r = await rig();
    await directory(r.config);
    const sched = (await r.config.get('schedule', 'quality')) as NonNullable<
      Awaited<ReturnType<typeof r.config.get<'schedule'>>>
    >;
    await r.config.put(
      'schedule',
      { ...sched, overrides: [{ contact: 'boss', from: T + 60 * MIN, to: T + 120 * MIN, reason: 'cover' }] },
      'user:admin',
    );
    const [now] = await r.service.onCall(T);
    assert.deepEqual(
      [now?.contactName, now?.override, now?.until],
      ['Omar', false, new Date(T + 7 * 24 * 60 * MIN).toISOString()],
    );
    const [later] = await r.service.onCall(T + 90 * MIN);
    assert.deepEqual([later?.contactName, later?.override], ['Boss', true]);
    await r.db.store.close();
  });
});
