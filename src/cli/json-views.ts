/**
 * What `vigil ... --json` prints, one style for every command (docs/cli.md): camelCase names,
 * times as ISO 8601 UTC with milliseconds, a list as NDJSON (one object per line), a single
 * item as one object on one line. Reading sample fields keep their protocol names inside `data`.
 */
import { iso, isoOrNull } from '../iso-time.ts';
import { readingView } from '../live/reading-view.ts';
import type { DeviceRecord, ReadingRecord } from '../storage/store.ts';

export { iso, isoOrNull };

/** A device of the registry (`device list`, `device show`, `device add`). */
export function deviceJson(d: DeviceRecord) {
  return {
    id: d.id,
    profile: d.profile,
    status: d.status,
    alg: d.alg,
    currentKid: d.currentKid,
    certSerial: d.certSerial,
    certNotAfter: isoOrNull(d.certNotAfter),
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
    lastSeenAt: isoOrNull(d.lastSeenAt),
  };
}

/** NEWS2 of a patient monitor's reading (RCP 2017): the total and its band, or what is missing. */
export type News2Json = { total: number; band: string } | { total: null; band: null; missing: string[] };

/** One stored reading (`readings`); the sample's own fields in `data`, by their protocol names. */
export function readingJson(r: ReadingRecord, news2?: News2Json) {
  return { ...readingView(r), ...(news2 ? { news2 } : {}) };
}
