import type { CommandStore } from '../commands/command-store.ts';
import type { RotationRecord, RotationStore } from '../keys/rotation-store.ts';
import type { Store } from '../storage/store.ts';

const DAY_MS = 86_400_000;

/** One device's key and certificate state (the device page). */
export interface DeviceLifecycle {
  kid: number;
  /** When the current key generation was created. */
  kidCreatedAt: number | null;
  lastRotation: Pick<
    RotationRecord,
    'kid' | 'state' | 'startedAt' | 'ackedAt' | 'completedAt' | 'error'
  > | null;
  certSerial: string | null;
  certNotAfter: number | null;
  /** Queued or sent commands. */
  pendingCommands: number;
}

/** The fleet's rotation and expiry status (the system page and `/metrics`). */
export interface FleetLifecycle {
  rotation: {
    /** Enabled devices whose secret passed 90 % of `keys.rotateDeviceSecretsDays` (not overdue). */
    due: number;
    /** Older than the period. */
    overdue: number;
    /** Whose latest rotation failed (expired or refused). */
    failing: number;
    inProgress: number;
    periodDays: number;
  };
  certificates: {
    /** Fewer than `pki.renewBeforeDays` left, not expired. */
    due: number;
    /** Expired (the device must be re-provisioned). */
    overdue: number;
    /** Latest renewal command refused or expired. */
    failing: number;
    soonestExpiry: { deviceId: string; notAfter: number } | null;
    renewBeforeDays: number;
  };
  /** Persisted counters: rotations, renewals, claims. */
  counters: Record<string, number>;
}

export interface FleetLifecycleSources {
  store: Pick<Store, 'getDevice' | 'listDevices' | 'getDeviceKey' | 'getCounters'>;
  rotations: Pick<RotationStore, 'latestRotations'>;
  commands: Pick<CommandStore, 'list'>;
  clock: () => number;
  rotatePeriodDays: number;
  renewBeforeDays: number;
}

const COUNTER_PREFIXES = ['key_rotations_', 'cert_renewals_', 'claims.'];

export async function deviceLifecycle(
  s: FleetLifecycleSources,
  deviceId: string,
): Promise<DeviceLifecycle | null> {
  const d = await s.store.getDevice(deviceId);
  if (!d) return null;
  const key = await s.store.getDeviceKey(d.id, d.currentKid);
  const [last] = await s.rotations.latestRotations(d.id);
  const pending = await s.commands.list({ deviceId: d.id, states: ['queued', 'sent'], limit: 10_000 });
  return {
    kid: d.currentKid,
    kidCreatedAt: key?.createdAt ?? null,
    lastRotation: last
      ? {
          kid: last.kid,
          state: last.state,
          startedAt: last.startedAt,
          ackedAt: last.ackedAt,
          completedAt: last.completedAt,
          error: last.error,
        }
      : null,
    certSerial: d.certSerial,
    certNotAfter: d.certNotAfter,
    pendingCommands: pending.length,
  };
}

export async function fleetLifecycle(s: FleetLifecycleSources): Promise<FleetLifecycle> {
  const now = s.clock();
  const periodMs = s.rotatePeriodDays * DAY_MS;
  const renewMs = s.renewBeforeDays * DAY_MS;
  const devices = (await s.store.listDevices()).filter((d) => d.status === 'enabled');
  const latest = new Map((await s.rotations.latestRotations()).map((r) => [r.deviceId, r]));
  const rotation = { due: 0, overdue: 0, failing: 0, inProgress: 0, periodDays: s.rotatePeriodDays };
  const certificates = {
    due: 0,
    overdue: 0,
    failing: 0,
    soonestExpiry: null as { deviceId: string; notAfter: number } | null,
    renewBeforeDays: s.renewBeforeDays,
  };
  for (const d of devices) {
    const r = latest.get(d.id);
    if (r?.state === 'failed') rotation.failing++;
    if (r?.state === 'pending' || r?.state === 'acked') rotation.inProgress++;
    const key = await s.store.getDeviceKey(d.id, d.currentKid);
    if (key && periodMs > 0) {
      const age = now - key.createdAt;
      if (age > periodMs) rotation.overdue++;
      else if (age > periodMs * 0.9) rotation.due++;
    }
    if (d.certNotAfter !== null) {
      if (d.certNotAfter <= now) certificates.overdue++;
      else if (d.certNotAfter - now < renewMs) certificates.due++;
      if (!certificates.soonestExpiry || d.certNotAfter < certificates.soonestExpiry.notAfter)
        certificates.soonestExpiry = { deviceId: d.id, notAfter: d.certNotAfter };
    }
    const [renew] = (await s.commands.list({ deviceId: d.id, newestFirst: true, limit: 200 })).filter(
      (c) => c.op === 'renew_cert' || c.op === 'cert',
    );
    if (renew && (renew.state === 'expired' || (renew.state === 'acked' && renew.outcome === 'error')))
      certificates.failing++;
  }
  const all = await s.store.getCounters();
  const counters = Object.fromEntries(
    Object.entries(all).filter(([k]) => COUNTER_PREFIXES.some((p) => k.startsWith(p))),
  );
  return { rotation, certificates, counters };
}
