/**
 * `vigil start --role rules`: judges the devices of the buckets this process holds a lease on
 * (rule-ownership.ts). What ingest workers stored arrives over the cross-process feed
 * (`onAccepted`, in commit order); a bucket's devices are judged by one alarm service each, built
 * on a view of the store that shows only that bucket's devices. Taking a bucket loads its
 * devices as a restart does (stored alarms restored, recent readings re-judged from the store),
 * so readings stored while nobody owned it are judged then, and an alarm already open is
 * continued, not opened twice. Device events also drive the shipments of owned devices. The
 * owner of bucket 0 is the leader: it also runs the alarm notifications (`onLeader`).
 */
import type { Logger } from 'pino';
import { type AlarmService, createAlarmService } from '../alarms/alarm-service.ts';
import type { AlarmStore } from '../alarms/alarm-store.ts';
import type { AcceptedMessage } from '../ingest/pipeline.ts';
import type { MasterKey } from '../keys/master-key.ts';
import { ShipmentService } from '../shipments/shipment-service.ts';
import type { ShipmentStore } from '../shipments/shipment-store.ts';
import { tripRulesConfig } from '../shipments/trip.ts';
import type { Store } from '../storage/store.ts';
import { deviceBucket } from './device-bucket.ts';
import type { LeaseStore } from './lease-store.ts';
import { type RuleOwnership, startRuleOwnership } from './rule-ownership.ts';

export interface RulesWorkerOptions {
  store: Store;
  alarms: AlarmStore;
  shipments: ShipmentStore;
  leases: LeaseStore;
  master: Pick<MasterKey, 'keyedHash'>;
  owner: string;
  buckets: number;
  leaseMs?: number;
  logger: Logger;
  clock: () => number;
  /** Alarm service settings (tests shorten the tick). */
  alarmService?: { tickMs?: number; anomaly?: boolean };
  /**
   * The owner of bucket 0 also runs what the cluster must run once (alarm notifications): told
   * when this process takes bucket 0 (true) and when it gives it up (false).
   */
  onLeader?: (leading: boolean) => Promise<void>;
}

export interface RulesWorker {
  /** Feed from the ingest workers (cross-process, in commit order). */
  onAccepted(ev: AcceptedMessage): void;
  /** After the feed lost messages (its connection dropped): reload every owned bucket. */
  reload(): Promise<void>;
  ownership: RuleOwnership;
  /** Resolves when the owned buckets' queued work is done. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** The store as one bucket's alarm service sees it: only that bucket's devices exist. */
function bucketView(store: Store, bucket: number, buckets: number): Store {
  const mine = (id: string) => deviceBucket(id, buckets) === bucket;
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'listDevices') return async () => (await target.listDevices()).filter((d) => mine(d.id));
      if (prop === 'getDevice') return async (id: string) => (mine(id) ? target.getDevice(id) : null);
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

export function startRulesWorker(o: RulesWorkerOptions): RulesWorker {
  const services = new Map<number, AlarmService>();
  const bucketOf = (id: string) => deviceBucket(id, o.buckets);
  const shipments = new ShipmentService({
    shipments: o.shipments,
    store: o.store,
    master: o.master,
    clock: o.clock,
    logger: o.logger,
    onInTransit: (s, profile) =>
      services.get(bucketOf(s.deviceId))?.configureSubject(s.deviceId, tripRulesConfig(s, profile)),
  });

  async function adopt(bucket: number): Promise<void> {
    await services.get(bucket)?.stop();
    const svc = createAlarmService({
      store: bucketView(o.store, bucket, o.buckets),
      alarms: o.alarms,
      logger: o.logger,
      clock: o.clock,
      subjectSource: (deviceId) => shipments.rulesConfig(deviceId),
      ...(o.alarmService?.tickMs !== undefined ? { tickMs: o.alarmService.tickMs } : {}),
      ...(o.alarmService?.anomaly !== undefined ? { anomaly: o.alarmService.anomaly } : {}),
    });
    services.set(bucket, svc);
    await svc.start();
  }

  const ownership = startRuleOwnership({
    leases: o.leases,
    owner: o.owner,
    buckets: o.buckets,
    ...(o.leaseMs !== undefined ? { leaseMs: o.leaseMs } : {}),
    logger: o.logger,
    onAcquire: async (bs) => {
      for (const b of bs) await adopt(b);
      if (bs.includes(0)) await o.onLeader?.(true);
    },
    onRelease: async (bs) => {
      if (bs.includes(0)) await o.onLeader?.(false);
      for (const b of bs) {
        const svc = services.get(b);
        services.delete(b);
        await svc?.stop();
      }
    },
  });

  return {
    ownership,
    onAccepted(ev) {
      const svc = services.get(bucketOf(ev.deviceId));
      if (!svc) return;
      svc.onAccepted(ev);
      if (ev.messages.length > 0) shipments.onMessages(ev.messages);
    },
    async reload() {
      for (const b of [...services.keys()]) await adopt(b);
    },
    async idle() {
      await shipments.idle();
      for (const s of services.values()) await s.idle();
    },
    async stop() {
      await ownership.stop();
      await shipments.idle();
    },
  };
}
