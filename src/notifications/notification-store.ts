/**
 * The storage port of notifications: their configuration (contacts, groups, routing rules,
 * escalation policies, schedules, channel settings), sealed channel credentials, the durable
 * outbox with every delivery attempt, the escalation state of each alarm, and the browsers that
 * opted in to Web Push. The SQLite adapter is `src/storage/adapters/sqlite-notification-store.ts`;
 * the contract suite every adapter passes is `notification-store-contract.ts`. Times are
 * milliseconds since the Unix epoch.
 */
import type { EscalationState } from './escalation.ts';
import type { Channel, ConfigKind, Level } from './notification-model.ts';

/** One stored configuration document. */
export interface ConfigRecord {
  kind: ConfigKind;
  id: string;
  body: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

/**
 * `pending`: waiting for its (next) attempt; `sending`: claimed by a sender; `sent`: the provider
 * accepted it; `failed`: given up after the last attempt or refused for good; `cancelled`: the
 * alarm was acknowledged first; `skipped`: the recipient has no address for the channel.
 */
export type OutboxState = 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled' | 'skipped';
export const OUTBOX_STATES: readonly OutboxState[] = [
  'pending',
  'sending',
  'sent',
  'failed',
  'cancelled',
  'skipped',
];

/** What a notification says, kept with it so a retry after a restart sends the same words. */
export interface StoredMessage {
  subject: string;
  text: string;
  short: string;
  link: string;
  data: Record<string, unknown>;
}

/** Input of {@link NotificationStore.enqueue}. */
export interface OutboxInput {
  /** The alarm it is about; null for tests sent by hand. */
  alarmId: string | null;
  /** `raised`, `upgraded`, `escalated`, `test`. */
  event: string;
  channel: Channel;
  contactId: string | null;
  /** The address as people read it: e-mail, phone number, webhook URL, `user <name>`. */
  recipient: string;
  /** What the sender needs beyond the address (a push subscription id); never a secret. */
  target: Record<string, unknown>;
  message: StoredMessage;
  /** 0: the first notice; n: escalation level n. */
  escalationLevel: number;
  /** The alarm's level when it was sent. */
  level: Level | null;
  /** Default `pending`; `skipped` records a recipient that could not be reached. */
  state?: 'pending' | 'skipped';
  /** Why it was skipped. */
  note?: string;
  /**
   * Inserted already claimed (`sending`) until this time, for a caller that sends it at once
   * itself (a test notification) and records the attempt next.
   */
  leaseUntil?: number;
}

/** A notification in the outbox. */
export interface OutboxRecord extends Required<Omit<OutboxInput, 'state' | 'note' | 'leaseUntil'>> {
  id: number;
  state: OutboxState;
  attempts: number;
  /** When the next attempt may start (pending), or the claim's lease end (sending). */
  nextAttemptAt: number | null;
  createdAt: number;
  updatedAt: number;
  sentAt: number | null;
  /** The last provider response or error, or why it was skipped or cancelled. */
  lastResponse: string | null;
}

/** One delivery attempt: what the provider answered (never a credential). */
export interface AttemptRecord {
  outboxId: number;
  at: number;
  ok: boolean;
  response: string;
  durationMs: number;
}

/** What an attempt leads to. */
export type AttemptOutcome =
  | { state: 'sent' }
  | { state: 'pending'; nextAttemptAt: number }
  | { state: 'failed' }
  | { state: 'cancelled' };

/** A browser that opted in to Web Push (W3C Push API `PushSubscription`). */
export interface PushSubscriptionRecord {
  userName: string;
  endpoint: string;
  /** The browser's P-256 ECDH public key and authentication secret, base64url (RFC 8291 §3). */
  p256dh: string;
  auth: string;
  createdAt: number;
}

/** How far routing got with an alarm: the level it was routed at. */
export interface RoutingRecord {
  alarmId: string;
  level: Level;
  at: number;
}

export interface OutboxQuery {
  alarmId?: string;
  state?: OutboxState;
  /** Created at or after. */
  since?: number;
  /** Default 100, at most 1000. */
  limit?: number;
}

export interface NotificationStore {
  /** Every document of a kind, by id. */
  listConfig(kind: ConfigKind): Promise<ConfigRecord[]>;
  getConfig(kind: ConfigKind, id: string): Promise<ConfigRecord | null>;
  /** Creates or replaces a document; `created` says which. */
  putConfig(
    kind: ConfigKind,
    id: string,
    body: Record<string, unknown>,
    at: number,
  ): Promise<{ created: boolean }>;
  /** False when it did not exist. */
  deleteConfig(kind: ConfigKind, id: string): Promise<boolean>;

  /** A credential sealed under the master key (`email.password`, `webhook:<contact>`, ...). */
  putSecret(name: string, sealed: Buffer, at: number): Promise<void>;
  getSecret(name: string): Promise<Buffer | null>;
  deleteSecret(name: string): Promise<void>;

  /** Adds notifications, due at once; returns them with their ids, in order. */
  enqueue(items: readonly OutboxInput[], at: number): Promise<OutboxRecord[]>;
  /**
   * Claims up to `limit` pending notifications due at `now` (oldest due first) for one sender:
   * they become `sending` until `leaseUntil`.
   */
  claimDue(now: number, limit: number, leaseUntil: number): Promise<OutboxRecord[]>;
  /** Records an attempt of a claimed notification and moves it on; VIGIL_ERR_NOT_FOUND for an unknown id. */
  recordAttempt(
    id: number,
    attempt: Omit<AttemptRecord, 'outboxId'>,
    outcome: AttemptOutcome,
  ): Promise<OutboxRecord>;
  /** Cancels an alarm's pending notifications (not those being sent); returns how many. */
  cancelPending(alarmId: string, reason: string, at: number): Promise<number>;
  /** Gives claims whose lease ended before `before` back to the queue (a sender that died). */
  releaseExpired(before: number): Promise<number>;
  /** Newest first. */
  listOutbox(q?: OutboxQuery): Promise<OutboxRecord[]>;
  /** Oldest first. */
  attempts(outboxId: number): Promise<AttemptRecord[]>;

  getRouting(alarmId: string): Promise<RoutingRecord | null>;
  putRouting(r: RoutingRecord): Promise<void>;

  getEscalation(alarmId: string): Promise<EscalationState | null>;
  putEscalation(s: EscalationState): Promise<void>;
  /** Active escalations due at `now`, soonest first. */
  dueEscalations(now: number, limit: number): Promise<EscalationState[]>;
  /** Escalations, most recently changed first (`active` only, or all). */
  listEscalations(q?: { state?: EscalationState['state']; limit?: number }): Promise<EscalationState[]>;

  /** Adds or refreshes (same endpoint) a subscription. */
  putPushSubscription(s: PushSubscriptionRecord): Promise<void>;
  /** Removes a subscription by endpoint (of that user only, when given); false when absent. */
  deletePushSubscription(endpoint: string, userName?: string): Promise<boolean>;
  listPushSubscriptions(userName?: string): Promise<PushSubscriptionRecord[]>;
}
