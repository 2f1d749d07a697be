/**
 * The ingest thread's body (started by sqlite-ingest-thread.ts): its own connection to the
 * database, on which it commits one packed batch per message, in the order they come, and
 * answers once the transaction is durable (or failed). Nothing else runs here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isVigilError } from '../../errors.ts';
import { SqliteDatabase, sqliteCode } from './sqlite-database.ts';
import type { IngestThreadData, IngestThreadReply, IngestThreadRequest } from './sqlite-ingest-protocol.ts';
import { readReplayState, writePackedBatch } from './sqlite-ingest-rows.ts';

const port = parentPort;
if (!port) throw new Error('sqlite-ingest-worker must run as a worker thread');
const data = workerData as IngestThreadData;
const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** What crosses back for a failure: the Vigil code, and the driver's code for the cause. */
function failure(err: unknown): Extract<IngestThreadReply, { ok: false }>['error'] {
  const cause = isVigilError(err) ? err.cause : err;
  return {
    code: isVigilError(err) ? err.code : 'VIGIL_ERR_STORE',
    detail: isVigilError(err) ? err.detail : err instanceof Error ? err.message : String(err),
    driverCode: sqliteCode(cause) ?? (cause as { code?: string } | null)?.code,
    driverMessage: cause instanceof Error ? cause.message : undefined,
  };
}

let db: SqliteDatabase | undefined;
try {
  db = SqliteDatabase.open({
    path: data.path,
    key: buf(data.key),
    auditKey: buf(data.auditKey),
    synchronous: data.synchronous,
  });
  port.postMessage({ id: 0, ok: true } satisfies IngestThreadReply);
} catch (err) {
  port.postMessage({ id: 0, ok: false, error: failure(err) } satisfies IngestThreadReply);
}
const q = db?.scope('store');

port.on('message', (m: IngestThreadRequest) => {
  if (m.kind === 'close') {
    db?.close();
    port.postMessage({ id: m.id, ok: true } satisfies IngestThreadReply);
    port.close();
    return;
  }
  try {
    if (!q) throw new Error('ingest connection not open');
    if (m.kind === 'replay') {
      port.postMessage({
        id: m.id,
        ok: true,
        replay: readReplayState(q, m.deviceId),
      } satisfies IngestThreadReply);
      return;
    }
    const result = writePackedBatch(q, m.batch);
    port.postMessage({ id: m.id, ok: true, result } satisfies IngestThreadReply);
  } catch (err) {
    port.postMessage({ id: m.id, ok: false, error: failure(err) } satisfies IngestThreadReply);
  }
});
