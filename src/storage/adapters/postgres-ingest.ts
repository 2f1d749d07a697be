/**
 * One ingest batch in one PostgreSQL transaction (Store.writeBatch), safe with several ingest
 * workers writing at once:
 *
 * 1. Lock the `replay_state` rows of the batch's devices (created blank if missing) in device id
 *    order, so two workers never deadlock and a device's window changes one transaction at a time.
 * 2. Judge each seq against the COMMITTED window (postgres-replay-merge.ts): a copy another
 *    worker already stored is refused and its rows are left out. A seq the window marks (or has
 *    passed) but that is stored nowhere was only accepted (a worker's window runs ahead of its
 *    commits, by what it has queued): it is new, and stored. On a retry of a transaction whose
 *    commit may have landed (connection lost during COMMIT, a failover), seqs found stored are this
 *    batch's own: they are not refused, and the inserts below skip them (0 duplicates).
 * 3. Insert readings and messages (`ON CONFLICT DO NOTHING`: idempotent on (device, seq)); each
 *    reading really inserted also enters every matching sink's outbox (postgres-sink-outbox.ts).
 * 4. Store the union of the committed window and the batch's, and move `last_seen_at` forward.
 *
 * Arrays go in as `unnest(...)` parameters: one statement per table whatever the batch size.
 */
import type { ErrorCode } from '../../errors.ts';
import type { IngestBatch, WriteBatchResult } from '../store.ts';
import type { ColumnCipher } from './postgres-cipher.ts';
import { INGEST_CHANNEL, ingestPayloads, notifiedMessages, notifyAll } from './postgres-notify.ts';
import type { TxContext } from './postgres-pool.ts';
import { COMMIT_ORD_SPAN } from './postgres-readings-after.ts';
import { committedVerdict, unionWindows, type WindowState } from './postgres-replay-merge.ts';
import { countSinkEntries, SINK_FILL_SQL } from './postgres-sink-outbox.ts';
import { rowId } from './postgres-store-rows.ts';

type Refusal = NonNullable<WriteBatchResult['refused']>[number];

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function writeIngestBatch(
  cipher: ColumnCipher,
  { client, attempt }: TxContext,
  batch: IngestBatch,
): Promise<WriteBatchResult> {
  const states = new Map(batch.replayStates.map((s) => [s.deviceId, s]));
  const devices = [...states.keys()].sort(byId);
  const refused: Refusal[] = [];
  const skip = new Set<string>();
  if (devices.length > 0) {
    // A device's first batch: a blank row to lock (a concurrent first batch waits on its key).
    await client.query(
      `INSERT INTO replay_state (device_id, highest, bitmap, nonces, updated_at)
       SELECT d, -1, '\\x'::bytea, '\\x'::bytea, 0 FROM unnest($1::text[]) AS d ORDER BY d
       ON CONFLICT (device_id) DO NOTHING`,
      [devices],
    );
    const locked = await client.query<{ device_id: string } & WindowState>(
      `SELECT device_id, highest, bitmap, nonces FROM replay_state
       WHERE device_id = ANY($1::text[]) ORDER BY device_id FOR UPDATE`,
      [devices],
    );
    const committed = new Map(locked.rows.map((r) => [r.device_id, r]));
    const seqs = new Map<string, Set<number>>();
    for (const x of [...batch.readings, ...batch.messages]) {
      if (!states.has(x.deviceId)) continue;
      const s = seqs.get(x.deviceId) ?? new Set<number>();
      seqs.set(x.deviceId, s);
      s.add(x.seq);
    }
    const next: { id: string; w: WindowState; at: number }[] = [];
    for (const id of devices) {
      const mine = states.get(id);
      if (!mine) continue;
      const size = mine.bitmap.length * 8;
      const stored = committed.get(id) ?? null;
      for (const seq of seqs.get(id) ?? []) {
        const why = committedVerdict(stored, seq, size) as Refusal['code'] | ErrorCode | null;
        if (why === null || (why === 'VIGIL_ERR_REPLAY' && attempt > 1)) continue;
        refused.push({ deviceId: id, seq, code: why as Refusal['code'] });
      }
      next.push({
        id,
        w: unionWindows(stored && stored.highest >= 0 ? stored : null, mine, size),
        at: mine.updatedAt,
      });
    }
    // The committed window tells what some worker accepted, not what it stored: a worker's window
    // runs ahead of its commits by what it has queued, so a queued seq can already be marked, or
    // (with more than a window queued) below the window. A seq stored nowhere is therefore new:
    // the worker that sends it checked it against its own window, and refusing it would lose a
    // reading the broker acknowledged. Only a copy of a stored message is a replay.
    const unstored = refused.length === 0 ? new Set<string>() : await notStored(client, refused, batch);
    for (let i = refused.length - 1; i >= 0; i--) {
      const r = refused[i] as Refusal;
      if (unstored.has(`${r.deviceId}|${r.seq}`)) refused.splice(i, 1);
      else skip.add(`${r.deviceId}|${r.seq}`);
    }
    await client.query(
      `UPDATE replay_state r SET highest = u.highest, bitmap = u.bitmap, nonces = u.nonces, updated_at = u.at
       FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bytea[], $5::bigint[]) AS u(id, highest, bitmap, nonces, at)
       WHERE r.device_id = u.id`,
      [
        next.map((n) => n.id),
        next.map((n) => n.w.highest),
        next.map((n) => n.w.bitmap),
        next.map((n) => n.w.nonces),
        next.map((n) => n.at),
      ],
    );
  }

  const readings = batch.readings.filter((r) => !skip.has(`${r.deviceId}|${r.seq}`));
  let readingsInserted = 0;
  if (readings.length > 0) {
    // One statement: the readings, and for those really inserted (a redelivered copy conflicts and
    // inserts nothing) an entry in each matching sink's outbox (postgres-sink-outbox.ts).
    const r = await client.query<{ sink: string | null; n: number }>(
      `WITH r AS (
         INSERT INTO readings (device_id, seq, idx, ts, received_at, backfill, data, commit_ord)
         SELECT d, s, i, t, r, b, x, pg_current_xact_id()::text::bigint * ${COMMIT_ORD_SPAN} + o
         FROM unnest($1::text[], $2::bigint[], $3::int[], $4::bigint[], $5::bigint[], $6::boolean[], $7::bytea[])
           WITH ORDINALITY AS u(d, s, i, t, r, b, x, o)
         ON CONFLICT DO NOTHING
         RETURNING device_id, ts, seq, idx),
       o AS (${SINK_FILL_SQL})
       SELECT NULL AS sink, count(*)::int AS n FROM r
       UNION ALL SELECT sink, count(*)::int FROM o GROUP BY sink`,
      [
        readings.map((x) => x.deviceId),
        readings.map((x) => x.seq),
        readings.map((x) => x.idx),
        readings.map((x) => x.ts),
        readings.map((x) => x.receivedAt),
        readings.map((x) => x.backfill),
        readings.map((x) =>
          cipher.encryptJson('readings.data', rowId.reading(x.deviceId, x.seq, x.idx), x.data),
        ),
      ],
    );
    const added = new Map<string, number>();
    for (const row of r.rows) {
      if (row.sink === null) readingsInserted = row.n;
      else added.set(row.sink, row.n);
    }
    await countSinkEntries(client, added);
  }
  const messages = batch.messages.filter((m) => !skip.has(`${m.deviceId}|${m.seq}`));
  let messagesInserted = 0;
  if (messages.length > 0) {
    const r = await client.query(
      `INSERT INTO messages (device_id, seq, channel, ts, received_at, body)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bytea[])
       ON CONFLICT DO NOTHING`,
      [
        messages.map((x) => x.deviceId),
        messages.map((x) => x.seq),
        messages.map((x) => x.channel),
        messages.map((x) => x.ts),
        messages.map((x) => x.receivedAt),
        messages.map((x) => cipher.encryptJson('messages.body', rowId.message(x.deviceId, x.seq), x.body)),
      ],
    );
    messagesInserted = r.rowCount ?? 0;
  }
  if (batch.lastSeen.length > 0) {
    const seen = new Map<string, number>();
    for (const l of batch.lastSeen) seen.set(l.deviceId, Math.max(seen.get(l.deviceId) ?? l.at, l.at));
    const ids = [...seen.keys()].sort(byId);
    // greatest(): a batch carrying an older time (a late flush) never moves last_seen_at backwards.
    await client.query(
      `UPDATE devices d SET last_seen_at = greatest(coalesce(d.last_seen_at, u.at), u.at)
       FROM unnest($1::text[], $2::bigint[]) AS u(id, at)
       WHERE d.id = u.id AND d.last_seen_at IS DISTINCT FROM greatest(coalesce(d.last_seen_at, u.at), u.at)`,
      [ids, ids.map((id) => seen.get(id))],
    );
  }
  // Other processes (API live feeds, rules) hear of the stored messages when this commits.
  await notifyAll(client, INGEST_CHANNEL, ingestPayloads(cipher, notifiedMessages(readings, messages)));
  return { readingsInserted, messagesInserted, ...(refused.length > 0 ? { refused } : {}) };
}

/**
 * Of these (device, seq), those with no stored reading or message, as `device|seq`. A reading is
 * looked up with its sample time, which its primary key (device_id, ts, seq, idx) leads with, so
 * each lookup is one index probe whatever the device's history.
 */
async function notStored(
  client: TxContext['client'],
  list: readonly Refusal[],
  batch: IngestBatch,
): Promise<Set<string>> {
  const ts = new Map<string, number>();
  for (const r of batch.readings) ts.set(`${r.deviceId}|${r.seq}`, r.ts);
  const params = [
    list.map((r) => r.deviceId),
    list.map((r) => r.seq),
    list.map((r) => ts.get(`${r.deviceId}|${r.seq}`) ?? null),
  ];
  const found = await client.query<{ device_id: string; seq: string }>(
    `WITH q(d, s, t) AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]))
     SELECT r.device_id, r.seq FROM readings r JOIN q ON r.device_id = q.d AND r.ts = q.t AND r.seq = q.s
     UNION SELECT m.device_id, m.seq FROM messages m JOIN q ON m.device_id = q.d AND m.seq = q.s`,
    params,
  );
  const have = new Set(found.rows.map((r) => `${r.device_id}|${Number(r.seq)}`));
  return new Set(list.map((r) => `${r.deviceId}|${r.seq}`).filter((k) => !have.has(k)));
}
