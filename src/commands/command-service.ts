import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { VigilError } from '../errors.ts';
import { deviceSecretIdentity, type MasterKey } from '../keys/master-key.ts';
import { NONCE_BYTES } from '../protocol/aead.ts';
import { commandSchema } from '../protocol/bodies.ts';
import { sealEnvelope, serializeEnvelope } from '../protocol/envelope.ts';
import { deriveDeviceKeys } from '../protocol/keys.ts';
import { deviceTopic } from '../protocol/topics.ts';
import type { Store } from '../storage/store.ts';
import type { CommandOpHandler } from './command-ops.ts';
import type { CommandRecord, CommandScalar, CommandStore } from './command-store.ts';

/** Publishes a sealed command (QoS 1) to the device's `commands` topic: the broker port. */
export interface CommandTransport {
  publish(topic: string, payload: string): Promise<void>;
}

/** Longest TTL a command may have: 30 days. */
export const MAX_COMMAND_TTL_MS = 30 * 86_400_000;

export interface CommandServiceOptions {
  commands: CommandStore;
  /** Device registry, keys and the audit log. */
  store: Store;
  master: MasterKey;
  clock: () => number;
  logger: Logger;
  topicPrefix: string;
  defaultTtlMs: number;
  /** A sent command without an ack is sent again after this. */
  resendAfterMs: number;
  /** Every state change (live feed). */
  onChange?: (cmd: CommandRecord) => void;
}

export interface SendCommandInput {
  deviceId: string;
  op: string;
  args?: Record<string, unknown> | undefined;
  ttlMs?: number | undefined;
  /** `user:dana`, `token:ab12`, `cli`, `system`. */
  actor: string;
  /** Why (audited). */
  reason?: string | undefined;
  /** Vigil's own ops (`cert`, `trust_bundle`) pass true. */
  internal?: boolean;
}

/**
 * Durable server → device commands (docs/protocol.md §7.3): stores each command, seals it in an
 * envelope v1 on channel `commands` under the device's current key with the next downlink seq,
 * publishes it QoS 1, sends it again after a reconnect (or `resendAfterMs`) until acked or
 * expired, and records acks. Every state change is audited and reported to `onChange`.
 *
 * Any `vigil` process can queue commands (the store is the queue); only the process with a
 * transport (`vigil start`) sends them.
 */
export class CommandService {
  readonly #o: CommandServiceOptions;
  readonly #ops = new Map<string, CommandOpHandler>();
  #transport: CommandTransport | undefined;
  /** One dispatch at a time per device keeps the downlink in queue order. */
  #chains = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;

  constructor(o: CommandServiceOptions) {
    this.#o = o;
  }

  /** Registers the server side of an op (see {@link CommandOpHandler}). */
  registerOp(op: string, handler: CommandOpHandler): void {
    this.#ops.set(op, handler);
  }

  setTransport(t: CommandTransport | undefined): void {
    this.#transport = t;
  }

  /** Validates, stores (queued) and, when a transport is set, sends a command. */
  async send(input: SendCommandInput): Promise<CommandRecord> {
    const { clock, store } = this.#o;
    const handler = this.#ops.get(input.op);
    if (handler?.internal && !input.internal)
      throw new VigilError('VIGIL_ERR_COMMAND_INVALID', `${input.op} is sent by Vigil itself`);
    const ttlMs = input.ttlMs ?? this.#o.defaultTtlMs;
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1000 || ttlMs > MAX_COMMAND_TTL_MS)
      throw new VigilError('VIGIL_ERR_COMMAND_INVALID', 'ttl must be between 1 s and 30 days');
    const reason = input.reason?.trim() || null;
    if (reason !== null && reason.length > 500)
      throw new VigilError('VIGIL_ERR_COMMAND_INVALID', 'reason longer than 500 characters');
    const device = await store.getDevice(input.deviceId);
    if (!device) throw new VigilError('VIGIL_ERR_NOT_FOUND', `device ${input.deviceId}`);
    if (device.status !== 'enabled')
      throw new VigilError('VIGIL_ERR_DEVICE_STATE', `device is ${device.status}`);
    const id = randomUUID();
    let args = checkArgs(id, input.op, input.args ?? {});
    if (handler?.prepare)
      args = checkArgs(
        id,
        input.op,
        await handler.prepare({ deviceId: device.id, actor: input.actor }, args, id),
      );
    const now = clock();
    const cmd: CommandRecord = {
      id,
      deviceId: device.id,
      op: input.op,
      args,
      state: 'queued',
      outcome: null,
      error: null,
      result: null,
      createdBy: input.actor,
      reason,
      createdAt: now,
      expiresAt: now + ttlMs,
      sentAt: null,
      sendCount: 0,
      downlinkSeq: null,
      ackedAt: null,
      updatedAt: now,
    };
    await this.#o.commands.enqueue(cmd);
    await store.appendAudit({
      ts: now,
      actor: input.actor,
      action: 'command.queued',
      object: device.id,
      // Args may carry key material only as public values; certificates are summarised.
      detail: {
        id,
        op: cmd.op,
        args: auditArgs(cmd.args),
        reason,
        expiresAt: new Date(cmd.expiresAt).toISOString(),
      },
    });
    this.#o.onChange?.(cmd);
    if (this.#transport) await this.dispatch(device.id);
    return (await this.#o.commands.get(id)) ?? cmd;
  }

  /**
   * Sends the device's pending commands in queue order: queued ones always, sent ones when
   * `force` (the device just subscribed again) or when their last send is `resendAfterMs` old.
   * Each send is a new envelope (new downlink seq and nonce, same command id): the device's
   * replay window refuses a copy of an old envelope, and its at-most-once rule dedups the id.
   */
  dispatch(deviceId: string, force = false): Promise<void> {
    const prev = this.#chains.get(deviceId) ?? Promise.resolve();
    const next = prev
      .then(() => this.#dispatchNow(deviceId, force))
      .catch((err) => this.#o.logger.error({ err, device: deviceId }, 'command dispatch failed'));
    this.#chains.set(deviceId, next);
    void next.finally(() => {
      if (this.#chains.get(deviceId) === next) this.#chains.delete(deviceId);
    });
    return next;
  }

  async #dispatchNow(deviceId: string, force: boolean): Promise<void> {
    const transport = this.#transport;
    if (!transport) return;
    const { commands, clock, store, master } = this.#o;
    const now0 = clock();
    // Only what is due: queued, or sent and unanswered for resendAfterMs (any, when forced). The
    // periodic tick passes every device with pending commands, so the common case ends here.
    const pending = (await commands.list({ deviceId, states: ['queued', 'sent'], limit: 10_000 })).filter(
      (c) =>
        c.expiresAt > now0 &&
        (c.state === 'queued' || force || c.sentAt === null || now0 - c.sentAt >= this.#o.resendAfterMs),
    );
    if (pending.length === 0) return;
    const device = await store.getDevice(deviceId);
    if (device?.status !== 'enabled') return;
    const key = await store.getDeviceKey(deviceId, device.currentKid);
    if (!key) throw new VigilError('VIGIL_ERR_UNKNOWN_KID', `${deviceId} kid ${device.currentKid}`);
    const keys = deriveDeviceKeys(
      master.open('device-secret', key.secretEnc, deviceSecretIdentity(deviceId, device.currentKid)),
      deviceId,
    );
    const topic = deviceTopic(this.#o.topicPrefix, deviceId, 'commands');
    for (const c of pending) {
      const now = clock();
      if (c.expiresAt <= now) continue;
      if (c.state === 'sent' && !force && c.sentAt !== null && now - c.sentAt < this.#o.resendAfterMs)
        continue;
      const sent = await commands.recordSend(c.id, now);
      if (!sent) continue;
      await this.#ops.get(c.op)?.onSend?.(sent.command);
      const env = sealEnvelope({
        dev: deviceId,
        channel: 'commands',
        seq: sent.seq,
        ts: now,
        kid: device.currentKid,
        alg: device.alg,
        nonce: randomBytes(NONCE_BYTES[device.alg]),
        body: JSON.stringify({ id: c.id, op: c.op, args: c.args }),
        keys,
      });
      await transport.publish(topic, serializeEnvelope(env));
      if (c.state === 'queued') {
        await store.appendAudit({
          ts: now,
          actor: 'system',
          action: 'command.sent',
          object: deviceId,
          detail: { id: c.id, op: c.op, downlinkSeq: sent.seq, kid: device.currentKid },
        });
      }
      this.#o.onChange?.(sent.command);
    }
  }

  /** The device's commands of one op, newest first (at most 100). */
  async history(deviceId: string, op: string): Promise<CommandRecord[]> {
    return (await this.#o.commands.list({ deviceId, newestFirst: true, limit: 1000 }))
      .filter((c) => c.op === op)
      .slice(0, 100);
  }

  /** The device's pending (queued or sent) commands, in queue order. */
  pending(deviceId: string): Promise<CommandRecord[]> {
    return this.#o.commands.list({ deviceId, states: ['queued', 'sent'], limit: 10_000 });
  }

  /** The device acknowledged commands (ack bodies from its `acks` channel, already verified). */
  async onAcks(deviceId: string, acks: readonly Record<string, unknown>[]): Promise<void> {
    for (const body of acks) {
      const id = typeof body.id === 'string' ? body.id : '';
      const ok = body.ok === true;
      const error = typeof body.error === 'string' ? body.error : undefined;
      const result = isFlat(body.result) ? body.result : undefined;
      const cmd = await this.#o.commands.recordAck(id, deviceId, { ok, error, result }, this.#o.clock());
      if (!cmd) {
        // A repeated ack (the device's "duplicate" answer to a resend), or one for a command that
        // expired or was never ours: nothing changes.
        this.#o.logger.debug({ device: deviceId, id }, 'ack for no pending command');
        continue;
      }
      await this.#o.store.appendAudit({
        ts: this.#o.clock(),
        actor: `device:${deviceId}`,
        action: 'command.acked',
        object: deviceId,
        detail: { id, op: cmd.op, ok, ...(error ? { error } : {}) },
      });
      this.#o.onChange?.(cmd);
      await this.#ops.get(cmd.op)?.onAck?.(cmd);
    }
  }

  /** Expires due commands and sends what other processes queued. Runs every `intervalMs`. */
  start(intervalMs = 1000): void {
    this.#timer = setInterval(() => {
      if (this.#ticking) return;
      this.#ticking = this.tick()
        .catch((err) => this.#o.logger.error({ err }, 'command tick failed'))
        .finally(() => {
          this.#ticking = undefined;
        });
    }, intervalMs);
    this.#timer.unref();
  }

  async tick(): Promise<void> {
    for (const cmd of await this.#o.commands.expireDue(this.#o.clock())) {
      await this.#o.store.appendAudit({
        ts: this.#o.clock(),
        actor: 'system',
        action: 'command.expired',
        object: cmd.deviceId,
        detail: { id: cmd.id, op: cmd.op, sendCount: cmd.sendCount },
      });
      this.#o.onChange?.(cmd);
      await this.#ops.get(cmd.op)?.onExpired?.(cmd);
    }
    if (!this.#transport) return;
    // One query for the whole fleet; only devices with something due are dispatched.
    const now = this.#o.clock();
    const due = new Set<string>();
    for (const c of await this.#o.commands.list({ states: ['queued', 'sent'], limit: 100_000 })) {
      if (c.expiresAt > now && (c.state === 'queued' || now - (c.sentAt ?? 0) >= this.#o.resendAfterMs))
        due.add(c.deviceId);
    }
    for (const id of due) await this.dispatch(id);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#ticking;
    await Promise.all([...this.#chains.values()]);
  }
}

function isFlat(v: unknown): v is Record<string, CommandScalar> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x))
  );
}

/** The protocol's command schema (§7.3) applied before anything is stored. */
function checkArgs(id: string, op: string, args: Record<string, unknown>): Record<string, CommandScalar> {
  const r = commandSchema.safeParse({ id, op, args });
  if (!r.success) {
    const first = r.error.issues[0];
    throw new VigilError(
      'VIGIL_ERR_COMMAND_INVALID',
      `${first?.path.join('.') || 'command'}: ${first?.message ?? 'invalid'}`,
    );
  }
  return r.data.args;
}

/** Args for the audit log: long values (certificates, keys) are shortened to their length. */
function auditArgs(args: Record<string, CommandScalar>): Record<string, CommandScalar> {
  const out: Record<string, CommandScalar> = {};
  for (const [k, v] of Object.entries(args))
    out[k] = typeof v === 'string' && v.length > 64 ? `<${v.length} chars>` : v;
  return out;
}
