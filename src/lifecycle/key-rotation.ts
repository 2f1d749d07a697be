import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { CommandOpHandler } from '../commands/command-ops.ts';
import type { CommandService } from '../commands/command-service.ts';
import type { CommandRecord } from '../commands/command-store.ts';
import { VigilError } from '../errors.ts';
import { deviceSecretIdentity, type MasterKey } from '../keys/master-key.ts';
import type { RotationRecord, RotationStore } from '../keys/rotation-store.ts';
import { normalizeSerial } from '../pki/serial.ts';
import { p256Point, rotatedSecretFor } from '../protocol/rotation.ts';
import type { Store } from '../storage/store.ts';

const DAY_MS = 86_400_000;
/** A scheduled rotation waits this long for an offline device before it counts as failed. */
const SCHEDULED_TTL_MS = 7 * DAY_MS;

export interface KeyRotationOptions {
  store: Store;
  rotations: RotationStore;
  master: MasterKey;
  clock: () => number;
  logger: Logger;
  /** `keys.rotationOverlapMinutes`. */
  overlapMs: number;
  /** `keys.rotateDeviceSecretsDays` in ms; 0 = no schedule. */
  periodMs: number;
  /** Called when a device's keys changed (the ingest keyring drops its cache). */
  onKeysChanged?: (deviceId: string) => void;
  /** Rotation counters (`/metrics`). */
  count?: (name: string) => void;
}

/**
 * Device secret rotation kid N → N+1 (docs/protocol.md §12). The new secret is agreed by ECDH
 * P-256 between a fresh server ephemeral key (discarded at once) and the key of the device's
 * certificate, which never leaves the device: a thief of secret N cannot derive secret N+1.
 *
 * Server side: the new kid is stored (sealed) and accepted from the moment the command is
 * queued; the device acks under the old kid and then uses the new one. The old kid is retired at
 * the first message under the new kid, or `overlapMs` after the ack, whichever comes first; a
 * message under a retired kid is refused as VIGIL_ERR_UNKNOWN_KID and counted.
 */
export class KeyRotation implements CommandOpHandler {
  readonly #o: KeyRotationOptions;
  /** deviceId → new kid of its open rotation (the ingest hook looks here on every message). */
  #open = new Map<string, RotationRecord>();
  #commands: CommandService | undefined;
  /** The kid of each device's last accepted message. */
  #lastKid = new Map<string, number>();
  #scheduledAt = Number.NEGATIVE_INFINITY;

  constructor(o: KeyRotationOptions) {
    this.#o = o;
  }

  /** Registers `rotate_key` on the command service. */
  attach(commands: CommandService): void {
    this.#commands = commands;
    commands.registerOp('rotate_key', this);
  }

  /** Starts a rotation (CLI, API, dashboard, schedule): queues `rotate_key`. */
  rotate(
    deviceId: string,
    actor: string,
    o: { reason?: string; ttlMs?: number } = {},
  ): Promise<CommandRecord> {
    if (!this.#commands) throw new Error('key rotation is not attached to a command service');
    return this.#commands.send({ deviceId, op: 'rotate_key', actor, reason: o.reason, ttlMs: o.ttlMs });
  }

  // ---- CommandOpHandler --------------------------------------------------------------------

  async prepare(
    ctx: { deviceId: string; actor: string },
    _args: Record<string, unknown>,
    commandId: string,
  ): Promise<Record<string, string | number>> {
    const { store, rotations, master, clock } = this.#o;
    const device = await store.getDevice(ctx.deviceId);
    if (!device) throw new VigilError('VIGIL_ERR_NOT_FOUND', `device ${ctx.deviceId}`);
    const open = (await rotations.listOpenRotations()).find((r) => r.deviceId === device.id);
    if (open) throw new VigilError('VIGIL_ERR_ROTATION_PENDING', `${device.id} kid ${open.kid}`);
    const certKey = await this.#certificateKey(device.id, device.certSerial);
    const kid = Math.max(0, ...(await store.listDeviceKeys(device.id)).map((k) => k.kid)) + 1;
    // A fresh ephemeral key per rotation; its private half lives only in this scope.
    const eph = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const point = p256Point(eph.publicKey);
    const secret = rotatedSecretFor(eph.privateKey, certKey, device.id, kid, point);
    const now = clock();
    await store.addDeviceKey({
      deviceId: device.id,
      kid,
      secretEnc: master.seal('device-secret', secret, deviceSecretIdentity(device.id, kid)),
      createdAt: now,
      status: 'active',
    });
    secret.fill(0);
    const rec: RotationRecord = {
      deviceId: device.id,
      kid,
      fromKid: device.currentKid,
      commandId,
      state: 'pending',
      startedAt: now,
      startedBy: ctx.actor,
      ackedAt: null,
      completedAt: null,
      error: null,
    };
    await rotations.startRotation(rec);
    this.#open.set(device.id, rec);
    this.#o.onKeysChanged?.(device.id);
    this.#o.count?.('key_rotations_started');
    await store.appendAudit({
      ts: now,
      actor: ctx.actor,
      action: 'key.rotation_started',
      object: device.id,
      detail: { kid, fromKid: device.currentKid, command: commandId },
    });
    return { kid, epk: point.toString('base64url') };
  }

  /**
   * A rotation queued by another process (the CLI) joins the open set before its command leaves,
   * so the new kid is accepted from the device's first message under it (see {@link nextKid}).
   */
  async onSend(cmd: CommandRecord): Promise<void> {
    if (this.#open.get(cmd.deviceId)?.commandId === cmd.id) return;
    const r = await this.#o.rotations.rotationByCommand(cmd.id);
    if (r && (r.state === 'pending' || r.state === 'acked')) this.#open.set(r.deviceId, r);
  }

  /**
   * The kid above the device's current one that ingest must accept now: the new kid of its open
   * rotation (the device switches to it after its ack, which may be processed after the first
   * message under the new kid). Any other kid above the current one is refused before a lookup.
   */
  nextKid(deviceId: string): number | undefined {
    return this.#open.get(deviceId)?.kid;
  }

  async onAck(cmd: CommandRecord): Promise<void> {
    const { rotations, store, clock } = this.#o;
    const r = await rotations.rotationByCommand(cmd.id);
    if (r?.state !== 'pending') return;
    if (cmd.outcome !== 'ok') {
      await this.#fail(r, `device refused: ${cmd.error ?? 'error'}`);
      return;
    }
    const now = clock();
    const acked = await rotations.setRotationState(r.deviceId, r.kid, 'acked', now);
    // Commands from now on are sealed under the new kid, which the device now holds.
    await store.setDeviceCurrentKid(r.deviceId, r.kid, now);
    if (acked) this.#open.set(r.deviceId, acked);
    this.#o.onKeysChanged?.(r.deviceId);
    await store.appendAudit({
      ts: now,
      actor: `device:${r.deviceId}`,
      action: 'key.rotation_acked',
      object: r.deviceId,
      detail: { kid: r.kid },
    });
  }

  async onExpired(cmd: CommandRecord): Promise<void> {
    const r = await this.#o.rotations.rotationByCommand(cmd.id);
    if (r && r.state === 'pending') await this.#fail(r, 'rotate_key expired before the device acknowledged');
  }

  // ---- ingest and schedule -----------------------------------------------------------------

  /**
   * Every accepted message: the first one under the new kid retires the old one at once (and
   * switches the server too if the ack has not been processed yet).
   */
  async observe(deviceId: string, kid: number | undefined): Promise<void> {
    if (kid === undefined) return;
    let r = this.#open.get(deviceId);
    if (!r && this.#lastKid.get(deviceId) !== kid) {
      // A kid not seen from this device before: a rotation another process (the CLI) started may
      // not be in the open set yet. One lookup per change of kid, not per message.
      const found = await this.#o.rotations.getRotation(deviceId, kid);
      if (found && (found.state === 'pending' || found.state === 'acked')) r = found;
    }
    this.#lastKid.set(deviceId, kid);
    if (!r || kid !== r.kid) return;
    if (r.state === 'pending') {
      await this.#o.store.setDeviceCurrentKid(deviceId, r.kid, this.#o.clock());
      this.#o.onKeysChanged?.(deviceId);
    }
    // Only now: until the current kid is the new one, ingest accepts it as the open rotation's.
    this.#open.delete(deviceId);
    await this.#complete(r, 'first message under the new kid');
  }

  /** Retires old kids at the end of the overlap, refreshes the open set, runs the schedule. */
  async tick(): Promise<void> {
    const now = this.#o.clock();
    const open = await this.#o.rotations.listOpenRotations();
    this.#open = new Map(open.map((r) => [r.deviceId, r]));
    for (const r of open) {
      if (r.state === 'acked' && r.ackedAt !== null && now - r.ackedAt >= this.#o.overlapMs) {
        this.#open.delete(r.deviceId);
        await this.#complete(r, 'overlap ended');
      }
    }
    // The schedule looks at every device: once a minute is plenty for a period of days.
    if (this.#o.periodMs > 0 && this.#commands && now - this.#scheduledAt >= 60_000) {
      this.#scheduledAt = now;
      await this.#schedule(now, open.length);
    }
  }

  /**
   * Due devices rotate spread over time: each device's due date is its key's age reaching the
   * period minus a fixed per-device jitter (up to a tenth of the period, from a hash of its id),
   * and at most 1 % of the fleet (at least one device) rotates at once.
   */
  async #schedule(now: number, openCount: number): Promise<void> {
    const devices = (await this.#o.store.listDevices()).filter((d) => d.status === 'enabled' && d.certSerial);
    const cap = Math.max(1, Math.ceil(devices.length / 100));
    let budget = cap - openCount;
    for (const d of devices) {
      if (budget <= 0) return;
      if (this.#open.has(d.id)) continue;
      const key = await this.#o.store.getDeviceKey(d.id, d.currentKid);
      if (!key) continue;
      if (now < key.createdAt + this.#o.periodMs - jitter(d.id, this.#o.periodMs / 10)) continue;
      const last = (await this.#o.rotations.latestRotations(d.id))[0];
      // A failed rotation is retried after a day, not on every tick.
      if (last && last.state === 'failed' && now - (last.completedAt ?? last.startedAt) < DAY_MS) continue;
      try {
        await this.rotate(d.id, 'system', {
          reason: 'scheduled (keys.rotateDeviceSecretsDays)',
          ttlMs: SCHEDULED_TTL_MS,
        });
        budget--;
      } catch (err) {
        this.#o.logger.warn({ err, device: d.id }, 'scheduled key rotation not started');
      }
    }
  }

  async #complete(r: RotationRecord, why: string): Promise<void> {
    const { store, rotations, clock } = this.#o;
    const now = clock();
    // Only the first completion (message under the new kid, or the overlap's end) acts.
    if (!(await rotations.setRotationState(r.deviceId, r.kid, 'completed', now))) return;
    for (const k of await store.listDeviceKeys(r.deviceId)) {
      if (k.kid < r.kid && k.status === 'active')
        await store.setDeviceKeyStatus(r.deviceId, k.kid, 'retired');
    }
    this.#o.onKeysChanged?.(r.deviceId);
    this.#o.count?.('key_rotations_completed');
    await store.appendAudit({
      ts: now,
      actor: 'system',
      action: 'key.rotation_completed',
      object: r.deviceId,
      detail: { kid: r.kid, retired: r.fromKid, why },
    });
  }

  async #fail(r: RotationRecord, error: string): Promise<void> {
    const { store, rotations, clock } = this.#o;
    this.#open.delete(r.deviceId);
    if (!(await rotations.setRotationState(r.deviceId, r.kid, 'failed', clock(), error))) return;
    // The unused new generation is retired: it was never the device's.
    await store.setDeviceKeyStatus(r.deviceId, r.kid, 'retired');
    this.#o.onKeysChanged?.(r.deviceId);
    this.#o.count?.('key_rotations_failed');
    await store.appendAudit({
      ts: clock(),
      actor: 'system',
      action: 'key.rotation_failed',
      object: r.deviceId,
      detail: { kid: r.kid, error },
    });
  }

  async #certificateKey(deviceId: string, serial: string | null) {
    const cert = serial ? await this.#o.store.getCertificate(normalizeSerial(serial)) : null;
    if (!cert || cert.revokedAt !== null || cert.subject !== deviceId)
      throw new VigilError('VIGIL_ERR_DEVICE_STATE', 'device has no valid certificate to agree a key with');
    return new X509Certificate(cert.pem).publicKey;
  }
}

/** A stable offset in [0, span) from the device id, so the fleet's due dates spread out. */
function jitter(id: string, span: number): number {
  return (createHash('sha256').update(id).digest().readUInt32BE(0) / 0x1_0000_0000) * span;
}
