/**
 * The stored readings the alarm service gives its rule engine, read from the store in bounded
 * pages so that nothing per device is held in memory beyond what the rules keep themselves:
 *
 * - `replay`: at a (re)load, the readings a device's rules are rebuilt from (the newest
 *   `maxReadings` of the retention window before its newest reading, none before the
 *   configuration's `since`) and the door/power/battery events from the first of them on, in
 *   ascending pages that split only between two timestamps, each page's events with it. The same
 *   readings as one query would give, in the same order (samples before events of one instant).
 * - `span`: the readings and events of a span the engine asks back for late data
 *   (`RuleEngine.historyNeeded`).
 */

import type { Reading } from '../rules/rule.ts';
import type { HistorySpan } from '../rules/rule-engine.ts';
import type { MessageRecord, ReadingRecord, Store } from '../storage/store.ts';

export interface RuleHistoryOptions {
  readonly store: Pick<Store, 'queryReadings' | 'queryMessages' | 'countReadings'>;
  readonly retentionMs: number;
  readonly maxReadings: number;
  /** Turns a stored event message into a reading, if it is one. */
  readonly eventReading: (m: MessageRecord) => Reading | undefined;
  /** Readings per page (default 1000). */
  readonly pageSize?: number;
}

export interface ReplayPlan {
  /** Timestamp of the device's newest stored reading (at or after `since`), if any. */
  readonly newest: number | undefined;
  /** The pages, oldest first. */
  pages(): AsyncGenerator<Reading[]>;
}

export interface RuleHistory {
  replay(deviceId: string, now: number, since?: number): Promise<ReplayPlan>;
  span(deviceId: string, span: HistorySpan, since?: number): Promise<Reading[]>;
}

/** The store's largest page (`ReadingQuery.limit`). */
const STORE_MAX = 100_000;

export function createRuleHistory(o: RuleHistoryOptions): RuleHistory {
  const pageSize = o.pageSize ?? 1000;
  const store = o.store;

  async function events(deviceId: string, since: number): Promise<Reading[]> {
    const rows = await store.queryMessages({ deviceId, channel: 'events', since, limit: o.maxReadings });
    return rows.map(o.eventReading).filter((r): r is Reading => r !== undefined);
  }

  /** Timestamp of the `maxReadings`-th newest reading at or after `from` (descending pages). */
  async function countBound(deviceId: string, from: number, newest: number): Promise<number> {
    if ((await store.countReadings(deviceId)) <= o.maxReadings) return from;
    let seen = 0;
    let until = newest + 1;
    for (let guard = 0; guard < STORE_MAX; guard++) {
      const want = Math.min(pageSize, o.maxReadings - seen);
      const page = await store.queryReadings({ deviceId, since: from, until, descending: true, limit: want });
      seen += page.length;
      const oldest = page.at(-1);
      if (!oldest || page.length < want) return from;
      if (seen >= o.maxReadings) return oldest.ts;
      until = oldest.ts;
    }
    return from;
  }

  /** One ascending page from `cursor`, cut before the last instant unless it is all one instant. */
  async function page(deviceId: string, cursor: number): Promise<{ rows: ReadingRecord[]; next?: number }> {
    const rows = await store.queryReadings({ deviceId, since: cursor, limit: pageSize });
    if (rows.length < pageSize) return { rows };
    const lastTs = (rows.at(-1) as ReadingRecord).ts;
    const cut = rows.findIndex((r) => r.ts === lastTs);
    if (cut > 0) return { rows: rows.slice(0, cut), next: lastTs };
    // a single instant fills the page: take all of it
    const all = await store.queryReadings({ deviceId, since: lastTs, until: lastTs + 1, limit: STORE_MAX });
    return { rows: all, next: lastTs + 1 };
  }

  return {
    async replay(deviceId, now, since) {
      const floor = since ?? Number.NEGATIVE_INFINITY;
      const newest = (
        await store.queryReadings({
          deviceId,
          descending: true,
          limit: 1,
          ...(since !== undefined ? { since } : {}),
        })
      )[0]?.ts;
      async function* pages(): AsyncGenerator<Reading[]> {
        if (newest === undefined) {
          const evs = await events(deviceId, Math.max(floor, now - o.retentionMs));
          if (evs.length > 0) yield evs;
          return;
        }
        const from = await countBound(deviceId, Math.max(floor, newest - o.retentionMs), newest);
        let pending: Reading[] | undefined;
        let e = 0;
        let cursor = from;
        for (let guard = 0; guard < STORE_MAX; guard++) {
          const { rows, next } = await page(deviceId, cursor);
          // events from the first reading replayed on, as the rules saw them before the restart
          if (!pending)
            pending = rows.length > 0 ? await events(deviceId, (rows[0] as ReadingRecord).ts) : [];
          const until = next ?? Number.POSITIVE_INFINITY;
          const out: Reading[] = rows;
          while (e < pending.length && (pending[e] as Reading).ts < until) out.push(pending[e++] as Reading);
          if (out.length > 0) yield out;
          if (next === undefined) return;
          cursor = next;
        }
      }
      return { newest, pages };
    },

    async span(deviceId, span, since) {
      const lo = Math.max(span.after, since ?? Number.NEGATIVE_INFINITY);
      const inSpan = (r: Reading) => r.ts > span.after && r.ts >= lo && r.ts <= span.through;
      const rows = await store.queryReadings({
        deviceId,
        since: lo,
        until: span.through + 1,
        limit: STORE_MAX,
      });
      return [...rows.filter(inSpan), ...(await events(deviceId, lo)).filter(inSpan)];
    },
  };
}
