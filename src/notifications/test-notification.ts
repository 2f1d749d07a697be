/**
 * `vigil notify test` and the admin's "Send test": one notification through one channel, sent at
 * once (not queued), recorded in the outbox with the provider's answer, and audited.
 */
import { VigilError } from '../errors.ts';
import type { AuditInput } from '../storage/store.ts';
import type { ChannelSender } from './channels/channel.ts';
import type { NotificationConfig } from './notification-config.ts';
import { buildMessage } from './notification-message.ts';
import { type Channel, PHONE_RE } from './notification-model.ts';
import type { NotificationStore, OutboxRecord } from './notification-store.ts';
import { sendWithDeadline } from './outbox-worker.ts';

export interface TestDeps {
  store: NotificationStore;
  config: NotificationConfig;
  senders: Readonly<Record<Channel, ChannelSender>>;
  audit: { appendAudit(e: AuditInput): Promise<unknown> };
  clock: () => number;
  dashboardUrl: () => string;
  timeoutMs: number;
}

/** Where a test goes: the address, and the contact whose webhook secret signs it. */
async function destinations(
  d: TestDeps,
  channel: Channel,
  to: string,
): Promise<{ to: string; contactId: string | null }[]> {
  if (channel === 'email') {
    if (!/^[^\s@]+@[^\s@]+$/.test(to))
      throw new VigilError('VIGIL_ERR_USAGE', '--to must be an e-mail address');
    return [{ to, contactId: null }];
  }
  if (channel === 'sms' || channel === 'voice') {
    if (!PHONE_RE.test(to))
      throw new VigilError('VIGIL_ERR_USAGE', '--to must be an E.164 number such as +31612345678');
    return [{ to, contactId: null }];
  }
  if (channel === 'webhook') {
    const c = (await d.config.list('contact')).find((x) => x.webhookUrl === to || x.id === to);
    if (!c?.webhookUrl)
      throw new VigilError('VIGIL_ERR_NOTIFY_NOT_CONFIGURED', 'no contact has this webhook URL');
    return [{ to: c.webhookUrl, contactId: c.id }];
  }
  const subs = await d.store.listPushSubscriptions(to);
  if (subs.length === 0)
    throw new VigilError(
      'VIGIL_ERR_NOTIFY_NOT_CONFIGURED',
      `user ${to} has not enabled browser notifications`,
    );
  return subs.map((s) => ({ to: s.endpoint, contactId: null }));
}

/** Sends a test now; resolves with the recorded notifications (one per push subscription). */
export async function sendTestNotification(
  d: TestDeps,
  channel: Channel,
  to: string,
  actor: string,
): Promise<OutboxRecord[]> {
  const targets = await destinations(d, channel, to);
  const now = d.clock();
  const msg = buildMessage({
    alarm: {
      id: 'test',
      rule: 'test',
      subject: 'vigil',
      severity: 'info',
      state: 'open',
      startedAt: now,
      raisedAt: now,
      resolvedAt: null,
      message: `Test of the ${channel} channel, sent by ${actor}`,
      peak: null,
      unit: null,
      detectedLate: false,
    },
    level: 'info',
    deviceProfile: null,
    shipment: null,
    limit: null,
    event: 'test',
    dashboardUrl: d.dashboardUrl(),
    includePatientFields: false,
    now,
  });
  const out: OutboxRecord[] = [];
  for (const t of targets) {
    const [row] = await d.store.enqueue(
      [
        {
          alarmId: null,
          event: 'test',
          channel,
          contactId: t.contactId,
          recipient: t.to,
          target: { via: actor },
          message: { ...msg, data: msg.data as unknown as Record<string, unknown> },
          escalationLevel: 0,
          level: null,
          leaseUntil: now + d.timeoutMs * 2 + 5000,
        },
      ],
      now,
    );
    if (!row) continue;
    const started = d.clock();
    const r = await sendWithDeadline(d.senders[channel], row, d.timeoutMs);
    const at = d.clock();
    out.push(
      await d.store.recordAttempt(
        row.id,
        { at, ok: r.ok, response: r.response, durationMs: at - started },
        {
          state: r.ok ? 'sent' : 'failed',
        },
      ),
    );
  }
  await d.audit.appendAudit({
    ts: d.clock(),
    actor,
    action: 'notify.test',
    object: channel,
    detail: { to, results: out.map((r) => ({ id: r.id, state: r.state, response: r.lastResponse })) },
  });
  return out;
}
