/**
 * Cross-process events over PostgreSQL LISTEN/NOTIFY (PostgreSQL docs, NOTIFY): what one Vigil
 * process commits, the others hear, in commit order, once the transaction commits (a rolled
 * back write notifies nobody).
 *
 * - `vigil_ingest`: the messages an ingest batch stored (readings and events, as the pipeline's
 *   `onAccepted` gives them), for the live feed of API processes and the rules of rules
 *   processes. The payload holds reading values, so it is encrypted with the column cipher (AAD:
 *   the channel): NOTIFY payloads pass through the server's queue files (pg_notify/) in clear
 *   otherwise. Payloads stay under NOTIFY's 8000-byte limit; a larger message is split over
 *   several (its readings in parts).
 * - `vigil_alarm`: the id of an alarm a transaction opened or changed.
 *
 * A listener that loses its connection misses what was notified meanwhile: it reconnects and
 * tells its owner (`onReconnect`), which reloads from the tables (the rules re-judge their
 * devices' recent readings; the live feed only has a gap).
 */
import type pg from 'pg';
import type { MessageRecord, ReadingRecord } from '../store.ts';
import type { ColumnCipher } from './postgres-cipher.ts';

export const INGEST_CHANNEL = 'vigil_ingest';
export const ALARM_CHANNEL = 'vigil_alarm';

/** One stored message as listeners get it (the shape of the pipeline's AcceptedMessage). */
export interface NotifiedMessage {
  deviceId: string;
  channel: 'telemetry' | 'events' | 'acks';
  seq: number;
  readings: ReadingRecord[];
  messages: MessageRecord[];
}

/** Plaintext bytes per payload: base64 of (1 + 12 + n + 16) bytes must stay below 8000. */
const MAX_PLAIN = 5600;

/** The messages of a batch's rows, grouped by (device, seq). */
export function notifiedMessages(
  readings: readonly ReadingRecord[],
  messages: readonly MessageRecord[],
): NotifiedMessage[] {
  const out = new Map<string, NotifiedMessage>();
  for (const r of readings) {
    const k = `${r.deviceId}|${r.seq}`;
    const m = out.get(k) ?? {
      deviceId: r.deviceId,
      channel: 'telemetry' as const,
      seq: r.seq,
      readings: [],
      messages: [],
    };
    m.readings.push(r);
    out.set(k, m);
  }
  for (const x of messages) {
    out.set(`${x.deviceId}|${x.seq}`, {
      deviceId: x.deviceId,
      channel: x.channel,
      seq: x.seq,
      readings: [],
      messages: [x],
    });
  }
  return [...out.values()];
}

/** Encrypted payloads (base64) for `vigil_ingest`, each under the NOTIFY limit. */
export function ingestPayloads(cipher: ColumnCipher, events: readonly NotifiedMessage[]): string[] {
  const parts: string[] = [];
  let batch: string[] = [];
  let size = 2;
  const flush = () => {
    if (batch.length === 0) return;
    const plain = Buffer.from(`[${batch.join(',')}]`, 'utf8');
    parts.push(cipher.encrypt(`notify.${INGEST_CHANNEL}`, INGEST_CHANNEL, plain).toString('base64'));
    batch = [];
    size = 2;
  };
  const add = (json: string) => {
    if (size + json.length + 1 > MAX_PLAIN) flush();
    batch.push(json);
    size += Buffer.byteLength(json) + 1;
  };
  for (const e of events) {
    const json = JSON.stringify(e);
    if (Buffer.byteLength(json) <= MAX_PLAIN - 2) {
      add(json);
      continue;
    }
    // Too large for one payload: its readings in parts (each part the same device and seq).
    let chunk: ReadingRecord[] = [];
    const emit = () => {
      if (chunk.length > 0) add(JSON.stringify({ ...e, readings: chunk, messages: [] }));
      chunk = [];
    };
    for (const r of e.readings) {
      if (Buffer.byteLength(JSON.stringify({ ...e, readings: [...chunk, r], messages: [] })) > MAX_PLAIN - 2)
        emit();
      chunk.push(r);
    }
    emit();
    for (const m of e.messages) add(JSON.stringify({ ...e, readings: [], messages: [m] }));
  }
  flush();
  return parts;
}

/** Decrypts a `vigil_ingest` payload; throws on a payload that does not open. */
export function decodeIngestPayload(cipher: ColumnCipher, payload: string): NotifiedMessage[] {
  const plain = cipher.decrypt(`notify.${INGEST_CHANNEL}`, INGEST_CHANNEL, Buffer.from(payload, 'base64'));
  return JSON.parse(plain.toString('utf8')) as NotifiedMessage[];
}

/** Sends payloads on `channel` inside the caller's transaction (delivered at its commit). */
export async function notifyAll(
  c: pg.ClientBase,
  channel: string,
  payloads: readonly string[],
): Promise<void> {
  if (payloads.length === 0) return;
  await c.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [channel, payloads]);
}
