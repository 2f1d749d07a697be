/**
 * Which device buckets this rules process judges: leases in the database (LeaseStore), renewed
 * every third of their length, taken when free or expired, shared out evenly among the live
 * rules processes (a process holding more than its share gives the surplus back, so a process
 * that joins gets work). A process that dies stops renewing: its buckets expire after `leaseMs`
 * and the others take them at their next tick, so ownership moves within `leaseMs` plus a third.
 * A process that cannot reach the database gives its buckets up locally before they can expire,
 * so two processes never judge one device at the same time.
 */
import type { Logger } from 'pino';
import type { LeaseStore } from './lease-store.ts';

export interface RuleOwnershipOptions {
  leases: LeaseStore;
  /** This process's owner name (unique: host, pid and a random part). */
  owner: string;
  buckets: number;
  /** Lease length (default 6 s). */
  leaseMs?: number;
  /** Starts judging these buckets' devices (load their state from the store). */
  onAcquire: (buckets: number[]) => Promise<void>;
  /** Stops judging these buckets' devices. */
  onRelease: (buckets: number[]) => Promise<void>;
  logger: Pick<Logger, 'warn' | 'info' | 'error'>;
  clock?: () => number;
}

export interface RuleOwnership {
  owns(bucket: number): boolean;
  owned(): number[];
  /** One round now (tests; the timer runs it every leaseMs / 3). */
  tick(): Promise<void>;
  /** Gives every bucket back. */
  stop(): Promise<void>;
}

export function startRuleOwnership(o: RuleOwnershipOptions): RuleOwnership {
  const leaseMs = o.leaseMs ?? 6000;
  const clock = o.clock ?? Date.now;
  const mine = new Set<number>();
  let lastOk = clock();
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  async function drop(buckets: number[], why: string): Promise<void> {
    if (buckets.length === 0) return;
    for (const b of buckets) mine.delete(b);
    o.logger.info({ buckets, why }, 'rules: buckets released');
    await o.onRelease(buckets);
  }

  async function round(): Promise<void> {
    if (stopped) return;
    try {
      const held = mine.size > 0 ? await o.leases.renew(o.owner, [...mine], leaseMs) : [];
      lastOk = clock();
      await drop(
        [...mine].filter((b) => !held.includes(b)),
        'lease lost',
      );
      const owners = Math.max(1, (await o.leases.liveOwners()) + (mine.size === 0 ? 1 : 0));
      const fair = Math.ceil(o.buckets / owners);
      if (mine.size < fair) {
        const got = await o.leases.acquire(o.owner, fair - mine.size, leaseMs);
        if (got.length > 0) {
          for (const b of got) mine.add(b);
          o.logger.info({ buckets: got }, 'rules: buckets acquired');
          await o.onAcquire(got);
        }
      } else if (mine.size > fair) {
        const extra = [...mine].sort((a, b) => a - b).slice(fair);
        await drop(await o.leases.release(o.owner, extra), 'rebalance');
      }
    } catch (err) {
      o.logger.warn({ err: (err as Error).message }, 'rules: lease round failed');
      // Not renewed for most of a lease: another process may take them soon; stop first.
      if (clock() - lastOk > leaseMs * 0.7) await drop([...mine], 'cannot renew');
    }
  }

  const tick = () => {
    running = running.then(round);
    return running;
  };
  const timer = setInterval(() => void tick(), Math.max(100, Math.floor(leaseMs / 3)));
  timer.unref();
  void tick();

  return {
    owns: (b) => mine.has(b),
    owned: () => [...mine].sort((a, b) => a - b),
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      const all = [...mine];
      await drop(all, 'stopping');
      await o.leases.release(o.owner, all).catch(() => {});
    },
  };
}
