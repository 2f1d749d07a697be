import type { Logger } from 'pino';
import { z } from 'zod';
import type { AlarmStore } from '../alarms/alarm-store.ts';
import { gatewayTopic } from '../protocol/topics.ts';
import type { GatewayStore } from './gateway-store.ts';

/** A gateway's report of itself on `{p}/gateways/{id}/status` (docs/gateway.md). */
export const gatewayStatusSchema = z.object({
  uplink: z.enum(['up', 'down']),
  queueDepth: z.number().int().min(0).optional(),
  queueBytes: z.number().int().min(0).optional(),
  maxQueueBytes: z.number().int().min(0).optional(),
  oldestQueuedAgeMs: z.number().int().min(0).optional(),
  queueFull: z.boolean().optional(),
  devicesOnline: z.number().int().min(0).optional(),
  devicesBound: z.number().int().min(0).optional(),
  forwarded: z.number().int().min(0).optional(),
  commandsQueued: z.number().int().min(0).optional(),
});
export type GatewayStatus = z.infer<typeof gatewayStatusSchema>;

/** A gateway as the API and the dashboard show it. */
export interface GatewayView {
  id: string;
  devices: string[];
  revoked: boolean;
  createdAt: string;
  /** Its last report, null until the first one; `uplink` is `down` after its last will. */
  status: (GatewayStatus & { receivedAt: string }) | null;
}

/** The gateway alarm's rule: its queue is full and it stopped acknowledging devices. */
export const GATEWAY_QUEUE_FULL_RULE = 'gateway_queue_full';

/**
 * The server's live view of gateways: identities by certificate serial, the device set of each
 * (one Set object per gateway, mutated in place so a broker identity sees a bind or unbind at
 * once), their last status reports, the config each is sent, and the queue-full alarm.
 */
export class GatewayRegistry {
  readonly #store: GatewayStore;
  readonly #alarms: AlarmStore;
  readonly #log: Logger;
  readonly #prefix: string;
  readonly #clock: () => number;
  #serials = new Map<string, { id: string; revoked: boolean }>();
  /** The live device set of each gateway (what its broker identity may relay for now). */
  #devices = new Map<string, Set<string>>();
  /** The devices bound to each gateway on record (a revoked gateway's included). */
  #bound = new Map<string, string[]>();
  #revoked = new Set<string>();
  #gatewayOf = new Map<string, string>();
  #status = new Map<string, GatewayStatus & { receivedAt: number }>();
  #created = new Map<string, number>();
  #publish: ((topic: string, payload: string, retain: boolean) => Promise<void>) | undefined;
  #crl = '';

  constructor(p: {
    store: GatewayStore;
    alarms: AlarmStore;
    logger: Logger;
    topicPrefix: string;
    clock: () => number;
  }) {
    this.#store = p.store;
    this.#alarms = p.alarms;
    this.#log = p.logger.child({ component: 'gateways' });
    this.#prefix = p.topicPrefix;
    this.#clock = p.clock;
  }

  /**
   * Reloads gateways and bindings from the store; sends a changed device set to its gateway. A
   * revoked gateway keeps its bindings on record but relays for nobody (its live set is empty);
   * a removed one is forgotten.
   */
  async load(): Promise<void> {
    const [gateways, bindings] = await Promise.all([this.#store.listGateways(), this.#store.listBindings()]);
    const bound = new Map<string, string[]>(gateways.map((g) => [g.id, []]));
    for (const b of bindings) bound.get(b.gatewayId)?.push(b.deviceId);
    const revoked = new Set(gateways.filter((g) => g.revokedAt !== null).map((g) => g.id));
    this.#serials = new Map(gateways.map((g) => [g.certSerial, { id: g.id, revoked: revoked.has(g.id) }]));
    this.#created = new Map(gateways.map((g) => [g.id, g.createdAt]));
    this.#gatewayOf = new Map(
      bindings.filter((b) => !revoked.has(b.gatewayId)).map((b) => [b.deviceId, b.gatewayId]),
    );
    this.#bound = bound;
    this.#revoked = revoked;
    const changed: string[] = [];
    for (const [id, list] of bound) {
      const allowed = revoked.has(id) ? [] : list;
      const live = this.#devices.get(id);
      if (!live) {
        this.#devices.set(id, new Set(allowed));
        changed.push(id);
        continue;
      }
      if (live.size === allowed.length && allowed.every((d) => live.has(d))) continue;
      live.clear();
      for (const d of allowed) live.add(d);
      changed.push(id);
    }
    for (const [id, live] of [...this.#devices]) {
      if (bound.has(id)) continue;
      // Removed: a session still holding this identity may relay for nobody from now on.
      live.clear();
      this.#devices.delete(id);
      this.#status.delete(id);
    }
    for (const id of changed) await this.#sendConfig(id);
  }

  /** The broker identity of a gateway certificate (by serial and CN), or null. */
  identityOf(
    cn: string,
    serial: string,
  ): { kind: 'gateway'; name: string; devices: ReadonlySet<string> } | null {
    const g = this.#serials.get(serial);
    if (!g || g.revoked || g.id !== cn) return null;
    const devices = this.#devices.get(g.id);
    return devices ? { kind: 'gateway', name: g.id, devices } : null;
  }

  /** The gateway a device is bound to, if any. */
  gatewayOf(deviceId: string): string | undefined {
    return this.#gatewayOf.get(deviceId);
  }

  /** Where configs go (the broker), and the CRL they carry; sends every gateway its config. */
  async setTransport(
    publish: (topic: string, payload: string, retain: boolean) => Promise<void>,
    crlPem: string,
  ): Promise<void> {
    this.#publish = publish;
    this.#crl = crlPem;
    for (const id of this.#devices.keys()) await this.#sendConfig(id);
  }

  /** A new CRL: every gateway gets it (they check the site's device certificates against it). */
  async setCrl(crlPem: string): Promise<void> {
    if (crlPem === this.#crl) return;
    this.#crl = crlPem;
    for (const id of this.#devices.keys()) await this.#sendConfig(id);
  }

  /** A status report (or last will) from a gateway; a full queue raises the gateway alarm. */
  async onStatus(gatewayId: string, payload: Buffer): Promise<void> {
    let status: GatewayStatus;
    try {
      status = gatewayStatusSchema.parse(JSON.parse(payload.toString('utf8')));
    } catch {
      this.#log.warn({ gateway: gatewayId }, 'malformed gateway status ignored');
      return;
    }
    // A retained report of a gateway removed since (external broker): not a gateway any more.
    if (!this.#bound.has(gatewayId)) return;
    const now = this.#clock();
    const prev = this.#status.get(gatewayId);
    // The last will only says the uplink went: keep the last known queue figures beside it.
    this.#status.set(gatewayId, { ...(status.uplink === 'down' ? prev : {}), ...status, receivedAt: now });
    // Back (or first seen since this start): its config again, in case a send failed meanwhile.
    if (status.uplink === 'up' && prev?.uplink !== 'up') void this.#sendConfig(gatewayId);
    if (status.queueFull === undefined || status.queueFull === (prev?.queueFull ?? false)) return;
    await this.#queueAlarm(gatewayId, status, now).catch((err) =>
      this.#log.error({ err, gateway: gatewayId }, 'gateway alarm update failed'),
    );
  }

  views(): GatewayView[] {
    return [...this.#bound.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, devices]) => {
        const s = this.#status.get(id);
        return {
          id,
          devices: [...devices].sort(),
          revoked: this.#revoked.has(id),
          createdAt: new Date(this.#created.get(id) ?? 0).toISOString(),
          status: s ? { ...s, receivedAt: new Date(s.receivedAt).toISOString() } : null,
        };
      });
  }

  /** Prometheus text lines (docs/gateway.md, "Visibility"). */
  metrics(): string {
    const g = (name: string, help: string, value: (s: GatewayStatus) => number | undefined): string[] => {
      const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
      for (const [id, s] of [...this.#status.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const v = value(s);
        if (v !== undefined) lines.push(`${name}{gateway="${id}"} ${v}`);
      }
      return lines;
    };
    return [
      ...g('vigil_gateway_uplink_up', 'Gateway uplink state (1 up, 0 down).', (s) =>
        s.uplink === 'up' ? 1 : 0,
      ),
      ...g('vigil_gateway_queue_depth', 'Envelopes in the gateway queue.', (s) => s.queueDepth),
      ...g('vigil_gateway_queue_bytes', 'Bytes in the gateway queue.', (s) => s.queueBytes),
      ...g('vigil_gateway_oldest_queued_age_seconds', 'Age of the oldest queued envelope.', (s) =>
        s.oldestQueuedAgeMs === undefined ? undefined : s.oldestQueuedAgeMs / 1000,
      ),
      ...g('vigil_gateway_queue_full', 'Gateway queue full: devices are not acknowledged (1).', (s) =>
        s.queueFull === undefined ? undefined : s.queueFull ? 1 : 0,
      ),
      ...g('vigil_gateway_devices_online', 'Bound devices connected to the gateway.', (s) => s.devicesOnline),
    ].join('\n');
  }

  async #sendConfig(id: string): Promise<void> {
    const publish = this.#publish;
    const devices = this.#devices.get(id);
    // A revoked gateway cannot connect: nothing to tell it.
    if (!publish || !devices || this.#revoked.has(id)) return;
    // Retained, so the gateway gets the latest set and CRL on every (re)connect.
    const payload = JSON.stringify({ devices: [...devices].sort(), crl: this.#crl });
    await publish(gatewayTopic(this.#prefix, id, 'config'), payload, true).catch((err) =>
      this.#log.error({ err, gateway: id }, 'gateway config not sent'),
    );
  }

  async #queueAlarm(gatewayId: string, status: GatewayStatus, now: number): Promise<void> {
    if (status.queueFull) {
      const { created } = await this.#alarms.open(
        {
          rule: GATEWAY_QUEUE_FULL_RULE,
          subject: gatewayId,
          startedAt: now,
          raisedAt: now,
          severity: 'critical',
          message: `gateway ${gatewayId}: queue full (${status.queueBytes ?? '?'} bytes); devices are not acknowledged`,
          detail: { queueBytes: status.queueBytes ?? null, maxQueueBytes: status.maxQueueBytes ?? null },
        },
        now,
      );
      if (created) this.#log.error({ gateway: gatewayId }, 'gateway queue full');
      return;
    }
    const [active] = await this.#alarms.list({
      state: 'active',
      subject: gatewayId,
      rule: GATEWAY_QUEUE_FULL_RULE,
    });
    if (active) await this.#alarms.resolve(active.id, now, now);
  }
}
