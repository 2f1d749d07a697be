import type { IngestBatch, ReplayStateRecord } from '../store.ts';
import type { SqliteScope } from './sqlite-database.ts';

/** Bytes of one nonce fingerprint in `ReplayStateRecord.nonces` (protocol/replay-window.ts). */
const FP_BYTES = 8;
/** Fingerprints older than the window are deleted once per this many new ones (amortised). */
const PRUNE_EVERY = 256;

/**
 * An {@link IngestBatch} in columns: numbers in typed arrays, each reading's `data` already JSON,
 * device ids once. This is what crosses to the ingest thread (sqlite-ingest-thread.ts):
 * structured cloning a batch of objects costs several microseconds per reading on the event
 * loop, columns a fraction of one (the typed arrays are transferred, not copied).
 */
export interface PackedIngestBatch {
  /** Device ids, referred to by index below. */
  devices: string[];
  /** Per reading: device index, seq, idx, ts, receivedAt, backfill (0 or 1). */
  readings: Float64Array;
  readingData: string[];
  /** Per message: device index, seq, ts, receivedAt. */
  messages: Float64Array;
  messageChannel: string[];
  messageBody: string[];
  /** Per replay state: device index, highest, updatedAt. */
  replay: Float64Array;
  replayBitmap: Uint8Array[];
  /** The fingerprints each state's seqs add, in acceptance order. */
  replayNonces: Uint8Array[];
  /** Per device seen: device index, time. */
  lastSeen: Float64Array;
}

const READING_COLS = 6;
const MESSAGE_COLS = 4;

/** Packs a batch (see {@link PackedIngestBatch}). */
export function packIngestBatch(b: IngestBatch): PackedIngestBatch {
  const devices: string[] = [];
  const index = new Map<string, number>();
  const dev = (id: string): number => {
    let i = index.get(id);
    if (i === undefined) {
      i = devices.length;
      devices.push(id);
      index.set(id, i);
    }
    return i;
  };
  const readings = new Float64Array(b.readings.length * READING_COLS);
  const readingData = new Array<string>(b.readings.length);
  b.readings.forEach((r, i) => {
    const o = i * READING_COLS;
    readings[o] = dev(r.deviceId);
    readings[o + 1] = r.seq;
    readings[o + 2] = r.idx;
    readings[o + 3] = r.ts;
    readings[o + 4] = r.receivedAt;
    readings[o + 5] = r.backfill ? 1 : 0;
    readingData[i] = JSON.stringify(r.data);
  });
  const messages = new Float64Array(b.messages.length * MESSAGE_COLS);
  b.messages.forEach((m, i) => {
    const o = i * MESSAGE_COLS;
    messages[o] = dev(m.deviceId);
    messages[o + 1] = m.seq;
    messages[o + 2] = m.ts;
    messages[o + 3] = m.receivedAt;
  });
  const replay = new Float64Array(b.replayStates.length * 3);
  b.replayStates.forEach((s, i) => {
    replay[i * 3] = dev(s.deviceId);
    replay[i * 3 + 1] = s.highest;
    replay[i * 3 + 2] = s.updatedAt;
  });
  const lastSeen = new Float64Array(b.lastSeen.length * 2);
  b.lastSeen.forEach((l, i) => {
    lastSeen[i * 2] = dev(l.deviceId);
    lastSeen[i * 2 + 1] = l.at;
  });
  return {
    devices,
    readings,
    readingData,
    messages,
    messageChannel: b.messages.map((m) => m.channel),
    messageBody: b.messages.map((m) => JSON.stringify(m.body)),
    replay,
    replayBitmap: b.replayStates.map((s) => s.bitmap),
    replayNonces: b.replayStates.map((s) => s.nonces),
    lastSeen,
  };
}

/** The typed arrays of a packed batch, to transfer instead of copy (postMessage transfer list). */
export function packedTransferList(p: PackedIngestBatch): ArrayBuffer[] {
  return [p.readings, p.messages, p.replay, p.lastSeen].map((a) => a.buffer as ArrayBuffer);
}

/** A Buffer view of a blob that may have crossed a thread as a plain Uint8Array (the driver binds Buffers). */
const blob = (u: Uint8Array): Buffer =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * `Store.writeBatch` on SQLite: rows, replay state and last-seen times in one IMMEDIATE
 * transaction. The replay state is written incrementally: the window's high-water mark and bitmap
 * (one small row per device), and one row per fingerprint the batch adds, numbered per device in
 * acceptance order; fingerprints that fell out of the window are deleted now and then. A commit
 * therefore touches a few hundred bytes per device, not the whole window.
 */
export function writePackedBatch(
  q: Pick<SqliteScope, 'write' | 'stmt'>,
  p: PackedIngestBatch,
): { readingsInserted: number; messagesInserted: number } {
  return q.write(() => {
    // ON CONFLICT DO NOTHING rather than INSERT OR IGNORE: both skip a duplicate key, but OR
    // IGNORE would also silently drop a row that breaks a NOT NULL or CHECK constraint.
    const insReading = q.stmt(
      `INSERT INTO readings (device_id, seq, idx, ts, received_at, backfill, data)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, seq, idx) DO NOTHING`,
    );
    const insMessage = q.stmt(
      `INSERT INTO messages (device_id, seq, channel, ts, received_at, body) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_id, seq) DO NOTHING`,
    );
    // nonce_count counts every fingerprint ever added: the new ones are numbered below it.
    const upsertReplay = q.stmt(
      `INSERT INTO replay_state (device_id, highest, bitmap, nonces, updated_at, nonce_count)
       VALUES (?, ?, ?, x'', ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET highest = excluded.highest, bitmap = excluded.bitmap,
         updated_at = excluded.updated_at, nonce_count = nonce_count + excluded.nonce_count
       RETURNING nonce_count`,
    );
    const insNonce = q.stmt(
      'INSERT INTO replay_nonces (device_id, n, fp) VALUES (?, ?, ?) ON CONFLICT (device_id, n) DO NOTHING',
    );
    const pruneNonces = q.stmt('DELETE FROM replay_nonces WHERE device_id = ? AND n <= ?');
    // max(): a batch carrying an older time (a late flush) never moves last_seen_at backwards.
    const seen = q.stmt('UPDATE devices SET last_seen_at = max(coalesce(last_seen_at, ?), ?) WHERE id = ?');
    const id = (i: number) => p.devices[i] as string;
    let readingsInserted = 0;
    let messagesInserted = 0;
    const r = p.readings;
    for (let i = 0, o = 0; o < r.length; i++, o += READING_COLS) {
      readingsInserted += insReading.run(
        id(r[o] as number),
        r[o + 1],
        r[o + 2],
        r[o + 3],
        r[o + 4],
        r[o + 5],
        p.readingData[i],
      ).changes;
    }
    const m = p.messages;
    for (let i = 0, o = 0; o < m.length; i++, o += MESSAGE_COLS) {
      messagesInserted += insMessage.run(
        id(m[o] as number),
        m[o + 1],
        p.messageChannel[i],
        m[o + 2],
        m[o + 3],
        p.messageBody[i],
      ).changes;
    }
    for (let i = 0; i < p.replayBitmap.length; i++) {
      const deviceId = id(p.replay[i * 3] as number);
      const bitmap = blob(p.replayBitmap[i] as Uint8Array);
      const nonces = blob(p.replayNonces[i] as Uint8Array);
      const added = Math.floor(nonces.length / FP_BYTES);
      const row = upsertReplay.get(deviceId, p.replay[i * 3 + 1], bitmap, p.replay[i * 3 + 2], added) as {
        nonce_count: number;
      };
      const count = row.nonce_count;
      for (let k = 0; k < added; k++) {
        insNonce.run(deviceId, count - added + k + 1, nonces.subarray(k * FP_BYTES, (k + 1) * FP_BYTES));
      }
      const window = bitmap.length * 8;
      if (Math.floor(count / PRUNE_EVERY) !== Math.floor((count - added) / PRUNE_EVERY) && count > window) {
        pruneNonces.run(deviceId, count - window);
      }
    }
    const l = p.lastSeen;
    for (let o = 0; o < l.length; o += 2) seen.run(l[o + 1], l[o + 1], id(l[o] as number));
    return { readingsInserted, messagesInserted };
  });
}

/**
 * `Store.getReplayState` on SQLite: the high-water mark and bitmap, and the fingerprints of the
 * last W accepted seqs in acceptance order (W = the bitmap's bits, the window size), or null.
 */
export function readReplayState(q: SqliteScope, deviceId: string): ReplayStateRecord | null {
  return q.read(() => {
    const row = q
      .stmt('SELECT highest, bitmap, updated_at, nonce_count FROM replay_state WHERE device_id = ?')
      .get(deviceId) as
      | { highest: number; bitmap: Buffer; updated_at: number; nonce_count: number }
      | undefined;
    if (!row) return null;
    const fps = q
      .stmt('SELECT fp FROM replay_nonces WHERE device_id = ? AND n > ? ORDER BY n')
      .pluck()
      .all(deviceId, row.nonce_count - row.bitmap.length * 8) as Buffer[];
    return {
      deviceId,
      highest: row.highest,
      bitmap: row.bitmap,
      nonces: Buffer.concat(fps),
      updatedAt: row.updated_at,
    };
  });
}
