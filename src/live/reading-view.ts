/**
 * A stored reading as the live feed pushes it and `vigil readings --json` prints it: the record's
 * fields copied one by one (nothing more), times ISO 8601 UTC, the sample's own fields in `data`
 * under their protocol names.
 */
import { iso } from '../iso-time.ts';
import type { ReadingRecord } from '../storage/store.ts';

export interface ReadingView {
  deviceId: string;
  seq: number;
  idx: number;
  ts: string;
  receivedAt: string;
  backfill: boolean;
  data: ReadingRecord['data'];
}

export function readingView(r: ReadingRecord): ReadingView {
  return {
    deviceId: r.deviceId,
    seq: r.seq,
    idx: r.idx,
    ts: iso(r.ts),
    receivedAt: iso(r.receivedAt),
    backfill: r.backfill,
    data: r.data,
  };
}
