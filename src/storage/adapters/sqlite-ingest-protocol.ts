import type { ErrorCode } from '../../errors.ts';
import type { PackedIngestBatch } from './sqlite-ingest-rows.ts';

/** What the ingest thread opens (the database key crosses in memory only, never in a message or log). */
export interface IngestThreadData {
  path: string;
  key: Uint8Array;
  auditKey: Uint8Array;
  synchronous: 'FULL' | 'NORMAL';
}

/** Main thread -> ingest thread. */
export type IngestThreadRequest =
  | { kind: 'write'; id: number; batch: PackedIngestBatch }
  | { kind: 'replay'; id: number; deviceId: string }
  | { kind: 'close'; id: number };

/** Ingest thread -> main thread; id 0 answers the opening of the connection. */
export type IngestThreadReply =
  | {
      id: number;
      ok: true;
      result?: { readingsInserted: number; messagesInserted: number };
      /** The answer to `replay` (Buffers arrive as plain Uint8Arrays). */
      replay?: {
        deviceId: string;
        highest: number;
        bitmap: Uint8Array;
        nonces: Uint8Array;
        updatedAt: number;
      } | null;
    }
  | {
      id: number;
      ok: false;
      error: {
        code: ErrorCode;
        detail: string | undefined;
        /** `SQLITE_FULL`, `SQLITE_BUSY`, ... of the failure's cause. */
        driverCode: string | undefined;
        driverMessage: string | undefined;
      };
    };
