/**
 * Notification configuration as the admin manages it (API, dashboard, CLI): validated with the
 * model's schemas, references checked both ways (a rule cannot name a missing contact; a contact
 * still named cannot be removed), credentials sealed under the master key, and every change
 * audited as `notify.<kind>.<create|update|delete>` (never with a credential).
 */
import webpush from 'web-push';
import type { z } from 'zod';
import { VigilError } from '../errors.ts';
import { type MasterKey, notifyCredentialIdentity } from '../keys/master-key.ts';
import { parseOrRefuse as parseInput } from '../parse-or-refuse.ts';
import type { AuditInput } from '../storage/store.ts';
import { generateWebhookSecret } from '../webhooks/signature.ts';
import { CHANNEL_SETTINGS, SECRET_NAMES, type SettingsChannel } from './channels/channel-settings.ts';
import type { VapidKeys } from './channels/push-channel.ts';
import {
  type Contact,
  type ContactGroup,
  contactGroupSchema,
  contactSchema,
  type EscalationPolicy,
  escalationPolicySchema,
  type RoutingRule,
  routingRuleSchema,
  type Schedule,
  scheduleSchema,
  type Target,
} from './notification-model.ts';
import type { NotificationStore } from './notification-store.ts';
import type { Directory } from './routing.ts';

/** The kinds the admin edits, with their schema. */
export const ENTITY_SCHEMAS = {
  contact: contactSchema,
  group: contactGroupSchema,
  rule: routingRuleSchema,
  policy: escalationPolicySchema,
  schedule: scheduleSchema,
} as const;
export type EntityKind = keyof typeof ENTITY_SCHEMAS;
export type Entity<K extends EntityKind> = z.infer<(typeof ENTITY_SCHEMAS)[K]>;

/** Everything routing and escalation read, loaded together. */
export interface NotificationDirectory extends Directory {
  rules: RoutingRule[];
  policies: ReadonlyMap<string, EscalationPolicy>;
}

/** A channel's settings as the API shows them: no credential, only whether one is set. */
export interface ChannelView {
  channel: SettingsChannel;
  settings: Record<string, unknown> | null;
  hasSecret: boolean;
  updatedAt: number | null;
}

const CHANNEL_SECRET: Record<SettingsChannel, string | null> = {
  email: SECRET_NAMES.emailPassword,
  sms: SECRET_NAMES.smsToken,
  webhook: null,
  push: null,
};

/** `body` checked with `schema`, or VIGIL_ERR_VALIDATION naming the first problem's path. */
export function parseOrRefuse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  return parseInput(schema, body, '(body)');
}

function targetsOf(kind: EntityKind, e: Record<string, unknown>): Target[] {
  if (kind === 'rule') return (e as RoutingRule).targets;
  if (kind === 'policy') return (e as EscalationPolicy).levels.flatMap((l) => l.targets);
  return [];
}

export class NotificationConfig {
  readonly #store: NotificationStore;
  readonly #master: MasterKey;
  readonly #audit: (e: AuditInput) => Promise<unknown>;
  readonly #clock: () => number;

  constructor(o: {
    store: NotificationStore;
    master: MasterKey;
    audit: { appendAudit(e: AuditInput): Promise<unknown> };
    clock: () => number;
  }) {
    this.#store = o.store;
    this.#master = o.master;
    this.#audit = (e) => o.audit.appendAudit(e);
    this.#clock = o.clock;
  }

  async list<K extends EntityKind>(kind: K): Promise<Entity<K>[]> {
    return (await this.#store.listConfig(kind)).map((r) => r.body as Entity<K>);
  }

  async get<K extends EntityKind>(kind: K, id: string): Promise<Entity<K> | null> {
    return ((await this.#store.getConfig(kind, id))?.body as Entity<K> | undefined) ?? null;
  }

  /** Routing rules, policies, contacts, groups and schedules in one read. */
  async directory(): Promise<NotificationDirectory> {
    const byId = <T extends { id: string }>(list: T[]) => new Map(list.map((x) => [x.id, x]));
    return {
      contacts: byId(await this.list('contact')) as Map<string, Contact>,
      groups: byId(await this.list('group')) as Map<string, ContactGroup>,
      schedules: byId(await this.list('schedule')) as Map<string, Schedule>,
      policies: byId(await this.list('policy')) as Map<string, EscalationPolicy>,
      rules: await this.list('rule'),
    };
  }

  /** Every id the entity names must exist. */
  async #checkReferences(kind: EntityKind, e: Record<string, unknown>): Promise<void> {
    const exists = async (k: EntityKind, id: string) => (await this.#store.getConfig(k, id)) !== null;
    const missing = async (k: EntityKind, id: string, where: string) => {
      if (!(await exists(k, id))) throw new VigilError('VIGIL_ERR_VALIDATION', `${where}: no ${k} "${id}"`);
    };
    if (kind === 'group') for (const m of (e as ContactGroup).members) await missing('contact', m, 'members');
    if (kind === 'schedule') {
      const s = e as Schedule;
      for (const m of s.members) await missing('contact', m, 'members');
      for (const o of s.overrides) {
        await missing('contact', o.contact, 'overrides');
        if (o.to <= o.from)
          throw new VigilError('VIGIL_ERR_VALIDATION', 'overrides: "to" must be after "from"');
      }
    }
    if (kind === 'rule' && (e as RoutingRule).escalationPolicy)
      await missing('policy', (e as RoutingRule).escalationPolicy as string, 'escalationPolicy');
    for (const t of targetsOf(kind, e)) await missing(t.type, t.id, 'targets');
  }

  /** Who names `kind`/`id` (for refusing its removal). */
  async #usersOf(kind: EntityKind, id: string): Promise<string[]> {
    const out: string[] = [];
    const names = (t: Target[]) => t.some((x) => x.type === kind && x.id === id);
    if (kind === 'contact') {
      for (const g of await this.list('group')) if (g.members.includes(id)) out.push(`group ${g.id}`);
      for (const s of await this.list('schedule'))
        if (s.members.includes(id) || s.overrides.some((o) => o.contact === id)) out.push(`schedule ${s.id}`);
    }
    for (const r of await this.list('rule')) {
      if (names(r.targets) || (kind === 'policy' && r.escalationPolicy === id)) out.push(`rule ${r.id}`);
    }
    for (const p of await this.list('policy'))
      if (names(p.levels.flatMap((l) => l.targets))) out.push(`policy ${p.id}`);
    return out;
  }

  /**
   * Creates or replaces an entity. A contact that gets a webhook URL gets a signing secret too,
   * returned here once (`webhookSecret`) and kept sealed.
   */
  async put<K extends EntityKind>(
    kind: K,
    body: unknown,
    actor: string,
  ): Promise<{ entity: Entity<K>; created: boolean; webhookSecret?: string }> {
    const entity = parseOrRefuse(ENTITY_SCHEMAS[kind], body) as Entity<K>;
    await this.#checkReferences(kind, entity as Record<string, unknown>);
    const at = this.#clock();
    const { created } = await this.#store.putConfig(kind, entity.id, entity as Record<string, unknown>, at);
    let webhookSecret: string | undefined;
    if (kind === 'contact') {
      const c = entity as Contact;
      const name = SECRET_NAMES.webhook(c.id);
      if (c.webhookUrl && !(await this.#store.getSecret(name)))
        webhookSecret = await this.#newWebhookSecret(c.id, at);
      if (!c.webhookUrl) await this.#store.deleteSecret(name);
    }
    await this.#audit({
      ts: at,
      actor,
      action: `notify.${kind}.${created ? 'create' : 'update'}`,
      object: entity.id,
      detail: { [kind]: entity, ...(webhookSecret ? { webhookSecret: 'generated' } : {}) },
    });
    return { entity, created, ...(webhookSecret ? { webhookSecret } : {}) };
  }

  async remove(kind: EntityKind, id: string, actor: string): Promise<void> {
    if (!(await this.#store.getConfig(kind, id)))
      throw new VigilError('VIGIL_ERR_NOT_FOUND', `${kind} ${id}`);
    const users = await this.#usersOf(kind, id);
    if (users.length > 0)
      throw new VigilError('VIGIL_ERR_NOTIFY_IN_USE', `${kind} ${id}: ${users.join(', ')}`);
    await this.#store.deleteConfig(kind, id);
    if (kind === 'contact') await this.#store.deleteSecret(SECRET_NAMES.webhook(id));
    await this.#audit({ ts: this.#clock(), actor, action: `notify.${kind}.delete`, object: id, detail: {} });
  }

  async #newWebhookSecret(contactId: string, at: number): Promise<string> {
    const secret = generateWebhookSecret();
    const name = SECRET_NAMES.webhook(contactId);
    await this.#store.putSecret(name, this.#seal(name, secret), at);
    return secret;
  }

  /** A new signing secret for a webhook contact, returned once (the old one stops working). */
  async rotateWebhookSecret(contactId: string, actor: string): Promise<string> {
    const c = await this.get('contact', contactId);
    if (!c) throw new VigilError('VIGIL_ERR_NOT_FOUND', `contact ${contactId}`);
    if (!c.webhookUrl)
      throw new VigilError('VIGIL_ERR_NOTIFY_NOT_CONFIGURED', `contact ${contactId} has no webhook`);
    const at = this.#clock();
    const secret = await this.#newWebhookSecret(contactId, at);
    await this.#audit({
      ts: at,
      actor,
      action: 'notify.webhook.rotate_secret',
      object: contactId,
      detail: {},
    });
    return secret;
  }

  /** An opened credential, or null. */
  async secret(name: string): Promise<string | null> {
    const sealed = await this.#store.getSecret(name);
    return sealed
      ? this.#master.open('notify-credential', sealed, notifyCredentialIdentity(name)).toString('utf8')
      : null;
  }

  /** `secret` sealed to the row it is stored in (`name`), so it opens there only. */
  #seal(name: string, secret: string): Buffer {
    return this.#master.seal(
      'notify-credential',
      Buffer.from(secret, 'utf8'),
      notifyCredentialIdentity(name),
    );
  }

  async channelSettings<C extends SettingsChannel>(
    channel: C,
  ): Promise<z.infer<(typeof CHANNEL_SETTINGS)[C]> | null> {
    const r = await this.#store.getConfig('channel', channel);
    return r ? (r.body as z.infer<(typeof CHANNEL_SETTINGS)[C]>) : null;
  }

  async channels(): Promise<ChannelView[]> {
    const out: ChannelView[] = [];
    for (const channel of Object.keys(CHANNEL_SETTINGS) as SettingsChannel[]) {
      const r = await this.#store.getConfig('channel', channel);
      const secret = CHANNEL_SECRET[channel];
      out.push({
        channel,
        settings: r?.body ?? null,
        hasSecret: secret !== null && (await this.#store.getSecret(secret)) !== null,
        updatedAt: r?.updatedAt ?? null,
      });
    }
    return out;
  }

  /**
   * Sets a channel's settings. `secret`: a new credential (e-mail password, SMS token); undefined
   * keeps the stored one, null removes it.
   */
  async putChannel(
    channel: SettingsChannel,
    settings: unknown,
    secret: string | null | undefined,
    actor: string,
  ): Promise<ChannelView> {
    const parsed = parseOrRefuse(CHANNEL_SETTINGS[channel], settings) as Record<string, unknown>;
    if (channel === 'sms' && parsed.preset === 'custom' && !parsed.api)
      throw new VigilError('VIGIL_ERR_VALIDATION', 'api: a custom provider needs its API description');
    const at = this.#clock();
    await this.#store.putConfig('channel', channel, parsed, at);
    const name = CHANNEL_SECRET[channel];
    if (name && secret !== undefined) {
      if (secret === null || secret === '') await this.#store.deleteSecret(name);
      else await this.#store.putSecret(name, this.#seal(name, secret), at);
    }
    if (channel === 'push') await this.vapid();
    await this.#audit({
      ts: at,
      actor,
      action: 'notify.channel.update',
      object: channel,
      detail: { settings: parsed, credential: secret === undefined ? 'kept' : secret ? 'set' : 'removed' },
    });
    return (await this.channels()).find((c) => c.channel === channel) as ChannelView;
  }

  /** The VAPID key pair (RFC 8292 §3.2), made on first use; the private key sealed. */
  async vapid(): Promise<VapidKeys> {
    const pub = await this.#store.getSecret(SECRET_NAMES.vapidPublicKey);
    const priv = await this.secret(SECRET_NAMES.vapidPrivateKey);
    if (pub && priv) return { publicKey: pub.toString('utf8'), privateKey: priv };
    const keys = webpush.generateVAPIDKeys();
    const at = this.#clock();
    await this.#store.putSecret(SECRET_NAMES.vapidPublicKey, Buffer.from(keys.publicKey, 'utf8'), at);
    await this.#store.putSecret(
      SECRET_NAMES.vapidPrivateKey,
      this.#seal(SECRET_NAMES.vapidPrivateKey, keys.privateKey),
      at,
    );
    return keys;
  }
}
