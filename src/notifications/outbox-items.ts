/**
 * Recipients to outbox entries: one per (channel, address); a Web Push recipient (a dashboard
 * user) becomes one entry per browser the user opted in with; a recipient without an address for
 * the channel is recorded as skipped, so the alarm's detail shows the gap.
 */
import type { Level } from './notification-model.ts';
import type { NotificationStore, OutboxInput, StoredMessage } from './notification-store.ts';
import type { Recipient } from './routing.ts';

export interface ItemsInput {
  alarmId: string | null;
  event: string;
  level: Level | null;
  escalationLevel: number;
  message: StoredMessage;
  recipients: readonly Recipient[];
}

export async function outboxItems(
  store: Pick<NotificationStore, 'listPushSubscriptions'>,
  i: ItemsInput,
): Promise<OutboxInput[]> {
  const base = {
    alarmId: i.alarmId,
    event: i.event,
    level: i.level,
    escalationLevel: i.escalationLevel,
    message: i.message,
  };
  const out: OutboxInput[] = [];
  for (const r of i.recipients) {
    const common = { ...base, channel: r.channel, contactId: r.contactId, target: { via: r.via } };
    if (r.address === null) {
      out.push({
        ...common,
        recipient: r.contactName,
        state: 'skipped',
        note: `${r.contactName} has no ${r.channel} address`,
      });
      continue;
    }
    if (r.channel !== 'push') {
      out.push({ ...common, recipient: r.address });
      continue;
    }
    const subs = await store.listPushSubscriptions(r.address);
    if (subs.length === 0) {
      out.push({
        ...common,
        recipient: `user ${r.address}`,
        state: 'skipped',
        note: `user ${r.address} has not enabled browser notifications`,
      });
    }
    for (const s of subs) {
      out.push({
        ...common,
        recipient: s.endpoint,
        // The keys stay in the subscriptions table; the sender looks them up by endpoint.
        target: { via: r.via, user: s.userName },
      });
    }
  }
  return out;
}
