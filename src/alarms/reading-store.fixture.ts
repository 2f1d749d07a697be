/** A stand-in for the store's reading and event queries in the alarm tests, answering as the SQLite adapter does. */
import type { MessageRecord, ReadingQuery, ReadingRecord } from '../storage/store.ts';

/**
 * One device's readings (sorted by ts) and event messages, with every reading query recorded:
 * readings by device in `[since, until)`, ordered, at most `limit`; messages from `since`.
 */
export function recordingReadingStore(
  rows: readonly ReadingRecord[],
  messages: readonly MessageRecord[] = [],
) {
  const queries: ReadingQuery[] = [];
  return {
    queries,
    store: {
      async queryReadings(q: ReadingQuery): Promise<ReadingRecord[]> {
        queries.push(q);
        const sel = rows.filter(
          (r) => r.deviceId === q.deviceId && r.ts >= (q.since ?? -Infinity) && r.ts < (q.until ?? Infinity),
        );
        if (q.descending) sel.reverse();
        return sel.slice(0, q.limit ?? 1000);
      },
      async queryMessages(q: { since?: number; limit?: number }): Promise<MessageRecord[]> {
        return messages.filter((m) => m.ts >= (q.since ?? -Infinity)).slice(0, q.limit ?? 1000);
      },
      async countReadings(): Promise<number> {
        return rows.length;
      },
    },
  };
}
