/** What every channel sender does: deliver one stored notification and say what the provider answered. */
import type { Channel } from '../notification-model.ts';
import type { StoredMessage } from '../notification-store.ts';

/** One notification to deliver. */
export interface Delivery {
  channel: Channel;
  /** E-mail address, phone number, webhook URL, or a push subscription's endpoint. */
  to: string;
  contactId: string | null;
  message: StoredMessage;
  /** Channel extras: the push subscription's keys. */
  target: Record<string, unknown>;
  /** Outbox id, sent as the webhook's idempotency key. */
  id: number | null;
}

/**
 * The provider's answer. `response` is what is recorded (status line, message id): never a
 * credential. `permanent` failures are not retried (an unknown recipient, a gone subscription).
 */
export interface SendResult {
  ok: boolean;
  response: string;
  permanent?: boolean;
}

export interface ChannelSender {
  send(d: Delivery): Promise<SendResult>;
}

/** Opens sealed credentials by name (null when absent). */
export type CredentialSource = (name: string) => Promise<string | null>;

/** A sender's failure as a result: the error's message, without stack or request details. */
export function failure(err: unknown, permanent = false): SendResult {
  const e = err as { code?: string; responseCode?: number; message?: string } | null;
  const what = [e?.responseCode, e?.code, e?.message].filter((x) => x !== undefined && x !== '').join(' ');
  return { ok: false, response: (what || String(err)).replace(/\s+/g, ' ').slice(0, 500), permanent };
}
