import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractOptions, contractTest, rejectsWith } from '../storage/contract.fixture.ts';
import { startEscalation } from './escalation.ts';
import type { NotificationStore, OutboxInput } from './notification-store.ts';

/** A fresh, migrated, empty notification store and a way to dispose of it. */
export interface NotificationStoreFixture {
  notifications: NotificationStore;
  cleanup: () => Promise<void>;
}

const T = 1_795_305_600_000;

const mail = (over: Partial<OutboxInput> = {}): OutboxInput => ({
  alarmId: 'truck-0001/heat/1',
  event: 'raised',
  channel: 'email',
  contactId: 'quinn',
  recipient: 'quinn@example.org',
  target: {},
  message: { subject: 's', text: 't', short: 'sh', link: 'https://x/#/alarms', data: { a: 1 } },
  escalationLevel: 0,
  level: 'critical',
  ...over,
});

const policy = {
  id: 'p',
  name: 'P',
  ackTimeoutMinutes: 10,
  repeatMinutes: 5,
  finalRepeats: 1,
  levels: [{ targets: [{ type: 'contact' as const, id: 'a', channels: ['sms' as const] }] }],
};

/**
 * The behaviour every `NotificationStore` adapter must show: configuration documents, sealed
 * secrets, the outbox (claim, attempts, retry, cancel, lease recovery), routing and escalation
 * state, and push subscriptions.
 */
export function runNotificationStoreContract(o: ContractOptions<NotificationStoreFixture>): void {
  const test = contractTest(o);
  describe(`NotificationStore contract: ${o.name}`, () => {
    test('keeps configuration documents by kind and id', async ({ notifications: n }) => {
      assert.deepEqual(await n.putConfig('contact', 'quinn', { name: 'Quinn' }, T), { created: true });
      assert.deepEqual(await n.putConfig('contact', 'quinn', { name: 'Quinn Q' }, T + 1), { created: false });
      await n.putConfig('group', 'quinn', { name: 'same id, other kind' }, T);
      const c = await n.getConfig('contact', 'quinn');
      assert.deepEqual([c?.body, c?.createdAt, c?.updatedAt], [{ name: 'Quinn Q' }, T, T + 1]);
      assert.deepEqual(
        (await n.listConfig('contact')).map((r) => r.id),
        ['quinn'],
      );
      assert.equal(await n.deleteConfig('contact', 'quinn'), true);
      assert.equal(await n.deleteConfig('contact', 'quinn'), false);
      assert.equal(await n.getConfig('contact', 'quinn'), null);
      assert.equal((await n.listConfig('group')).length, 1);
    });

    test('keeps sealed secrets as given', async ({ notifications: n }) => {
      await n.putSecret('email.password', Buffer.from([1, 2, 3]), T);
      await n.putSecret('email.password', Buffer.from([4, 5]), T + 1);
      assert.deepEqual(await n.getSecret('email.password'), Buffer.from([4, 5]));
      await n.deleteSecret('email.password');
      assert.equal(await n.getSecret('email.password'), null);
    });

    test('claims due notifications once, records attempts, retries and sends', async ({
      notifications: n,
    }) => {
      const [a, b] = await n.enqueue([mail(), mail({ channel: 'sms', recipient: '+31600000000' })], T);
      assert.ok(a && b);
      assert.deepEqual([a.state, a.attempts, a.nextAttemptAt, a.message.subject], ['pending', 0, T, 's']);
      const claimed = await n.claimDue(T, 10, T + 60_000);
      assert.deepEqual(
        claimed.map((r) => [r.id, r.state]),
        [
          [a.id, 'sending'],
          [b.id, 'sending'],
        ],
      );
      assert.equal((await n.claimDue(T + 1, 10, T + 60_000)).length, 0, 'a claimed one is not claimed again');
      const retry = await n.recordAttempt(
        a.id,
        { at: T + 5, ok: false, response: '421 busy', durationMs: 40 },
        {
          state: 'pending',
          nextAttemptAt: T + 30_000,
        },
      );
      assert.deepEqual(
        [retry.state, retry.attempts, retry.nextAttemptAt, retry.lastResponse],
        ['pending', 1, T + 30_000, '421 busy'],
      );
      assert.equal((await n.claimDue(T + 29_999, 10, T + 90_000)).length, 0);
      assert.equal((await n.claimDue(T + 30_000, 10, T + 90_000)).length, 1);
      const sent = await n.recordAttempt(
        a.id,
        { at: T + 30_010, ok: true, response: '250 queued', durationMs: 12 },
        { state: 'sent' },
      );
      assert.deepEqual(
        [sent.state, sent.attempts, sent.sentAt, sent.nextAttemptAt],
        ['sent', 2, T + 30_010, null],
      );
      const gaveUp = await n.recordAttempt(
        b.id,
        { at: T + 6, ok: false, response: '400 bad number', durationMs: 3 },
        { state: 'failed' },
      );
      assert.equal(gaveUp.state, 'failed');
      assert.deepEqual(
        (await n.attempts(a.id)).map((x) => [x.ok, x.response]),
        [
          [false, '421 busy'],
          [true, '250 queued'],
        ],
      );
      await rejectsWith(
        n.recordAttempt(999_999, { at: T, ok: true, response: '', durationMs: 0 }, { state: 'sent' }),
        'VIGIL_ERR_NOT_FOUND',
      );
    });

    test('inserts a notification already claimed for a caller that sends it at once', async ({
      notifications: n,
    }) => {
      const [a] = await n.enqueue([mail({ event: 'test', alarmId: null, leaseUntil: T + 1000 })], T);
      assert.deepEqual([a?.state, a?.nextAttemptAt], ['sending', T + 1000]);
      assert.equal((await n.claimDue(T + 10, 10, T + 2000)).length, 0);
    });

    test('gives an expired claim back to the queue (a sender died)', async ({ notifications: n }) => {
      const [a] = await n.enqueue([mail()], T);
      await n.claimDue(T, 1, T + 1000);
      assert.equal(await n.releaseExpired(T + 500), 0, 'the lease still runs');
      assert.equal(await n.releaseExpired(T + 1001), 1);
      const again = await n.claimDue(T + 1001, 1, T + 5000);
      assert.equal(again[0]?.id, a?.id);
    });

    test('cancels an alarm’s pending notifications, records skipped ones, lists by alarm and state', async ({
      notifications: n,
    }) => {
      await n.enqueue([mail(), mail({ channel: 'sms' }), mail({ alarmId: 'other' })], T);
      await n.enqueue([mail({ channel: 'voice', state: 'skipped', note: 'no phone number' })], T + 1);
      assert.equal(await n.cancelPending('truck-0001/heat/1', 'acknowledged by user:q', T + 2), 2);
      const list = await n.listOutbox({ alarmId: 'truck-0001/heat/1' });
      assert.deepEqual(
        list.map((r) => r.state),
        ['skipped', 'cancelled', 'cancelled'],
      );
      assert.equal(list[0]?.lastResponse, 'no phone number');
      assert.equal(list[1]?.lastResponse, 'acknowledged by user:q');
      assert.equal((await n.listOutbox({ state: 'pending' })).length, 1);
      assert.equal((await n.listOutbox({ limit: 2 })).length, 2);
      assert.equal((await n.claimDue(T + 3, 10, T + 100)).length, 1, 'only the other alarm’s');
    });

    test('keeps routing and escalation state per alarm; due escalations soonest first', async ({
      notifications: n,
    }) => {
      assert.equal(await n.getRouting('a1'), null);
      await n.putRouting({ alarmId: 'a1', level: 'warning', at: T });
      await n.putRouting({ alarmId: 'a1', level: 'critical', at: T + 1 });
      assert.deepEqual(await n.getRouting('a1'), { alarmId: 'a1', level: 'critical', at: T + 1 });
      const e1 = startEscalation(policy, 'a1', 'r', T);
      const e2 = { ...startEscalation(policy, 'a2', 'r', T - 60_000) };
      await n.putEscalation(e1);
      await n.putEscalation(e2);
      assert.deepEqual(await n.getEscalation('a1'), e1);
      assert.deepEqual(
        (await n.dueEscalations(T + 600_000, 10)).map((e) => e.alarmId),
        ['a2', 'a1'],
      );
      assert.deepEqual(
        (await n.dueEscalations(T + 540_000, 10)).map((e) => e.alarmId),
        ['a2'],
      );
      await n.putEscalation({
        ...e2,
        state: 'stopped',
        nextAt: null,
        reason: 'acknowledged',
        updatedAt: T + 5,
      });
      assert.deepEqual(
        (await n.dueEscalations(T + 600_000, 10)).map((e) => e.alarmId),
        ['a1'],
      );
      assert.deepEqual(
        (await n.listEscalations({ state: 'active' })).map((e) => e.alarmId),
        ['a1'],
      );
      assert.deepEqual(
        (await n.listEscalations()).map((e) => e.alarmId),
        ['a2', 'a1'],
      );
    });

    test('keeps push subscriptions per user; an endpoint is one subscription', async ({
      notifications: n,
    }) => {
      const sub = {
        userName: 'quinn',
        endpoint: 'https://push.example/1',
        p256dh: 'k',
        auth: 'a',
        createdAt: T,
      };
      await n.putPushSubscription(sub);
      await n.putPushSubscription({ ...sub, p256dh: 'k2' });
      await n.putPushSubscription({ ...sub, endpoint: 'https://push.example/2', userName: 'olga' });
      assert.deepEqual(
        (await n.listPushSubscriptions('quinn')).map((s) => s.p256dh),
        ['k2'],
      );
      assert.equal((await n.listPushSubscriptions()).length, 2);
      assert.equal(await n.deletePushSubscription('https://push.example/2', 'quinn'), false, 'not hers');
      assert.equal(await n.deletePushSubscription('https://push.example/2'), true);
      assert.equal((await n.listPushSubscriptions()).length, 1);
    });
  });
}
