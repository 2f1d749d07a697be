import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** A sample or event waiting to be sent, in recording order. */
export interface OutboxRecord {
  id: number;
  kind: 'sample' | 'event';
  body: Record<string, unknown>;
  /** Recorded while the device could not transmit: part of the backlog. */
  backlog: boolean;
}

/** An envelope sealed from records and published, waiting for its PUBACK. */
export interface SealedMessage {
  seq: number;
  channel: 'telemetry' | 'events';
  ids: number[];
  /** The envelope exactly as sent: a redelivery sends these bytes again (docs/protocol.md §6.4). */
  envelope: string;
}

type LogLine =
  | { t: 'add'; r: OutboxRecord }
  | { t: 'seal'; m: SealedMessage }
  | { t: 'ack'; seq: number }
  | { t: 'drop'; id: number };

/**
 * A device's bounded on-disk outbox (docs/protocol.md §8): every sample and event is written here
 * before anything is sent, sealed envelopes are recorded with the records they carry, and a
 * record is deleted only when the PUBACK of its envelope arrives. After a restart the device
 * redelivers the sealed, unacknowledged envelopes unchanged (same seq and nonce, so Vigil's replay
 * guard makes a second delivery harmless) and sends the rest. An append-only log, compacted when
 * it holds much more than what is pending. When full, the oldest unsent sample is dropped (and
 * counted): a logger's ring buffer.
 */
export class Outbox {
  readonly #path: string;
  readonly #max: number;
  readonly #records = new Map<number, OutboxRecord>();
  readonly #sealed = new Map<number, SealedMessage>();
  /** Record ids carried by a sealed message. */
  readonly #inSealed = new Set<number>();
  #nextId = 1;
  #lines = 0;
  dropped = 0;

  constructor(path: string, maxRecords = 20_000) {
    this.#path = path;
    this.#max = maxRecords;
    if (existsSync(path)) this.#load();
  }

  #load(): void {
    const text = readFileSync(this.#path, 'utf8');
    for (const raw of text.split('\n')) {
      if (raw === '') continue;
      let l: LogLine;
      try {
        l = JSON.parse(raw) as LogLine;
      } catch {
        continue; // a torn last line after a crash: what it described was not yet acted upon
      }
      this.#apply(l);
      this.#lines++;
    }
  }

  #apply(l: LogLine): void {
    if (l.t === 'add') {
      this.#records.set(l.r.id, l.r);
      this.#nextId = Math.max(this.#nextId, l.r.id + 1);
    } else if (l.t === 'seal') {
      this.#sealed.set(l.m.seq, l.m);
      for (const id of l.m.ids) this.#inSealed.add(id);
    } else if (l.t === 'ack') {
      const m = this.#sealed.get(l.seq);
      if (!m) return;
      this.#sealed.delete(l.seq);
      for (const id of m.ids) {
        this.#inSealed.delete(id);
        this.#records.delete(id);
      }
    } else if (l.t === 'drop') {
      this.#records.delete(l.id);
    }
  }

  #write(l: LogLine): void {
    this.#apply(l);
    appendFileSync(this.#path, `${JSON.stringify(l)}\n`);
    this.#lines++;
    if (this.#lines > 1000 && this.#lines > 4 * (this.#records.size + this.#sealed.size)) this.#compact();
  }

  #compact(): void {
    const lines: string[] = [];
    for (const r of this.#records.values()) lines.push(JSON.stringify({ t: 'add', r }));
    for (const m of this.#sealed.values()) lines.push(JSON.stringify({ t: 'seal', m }));
    const tmp = `${this.#path}.tmp`;
    writeFileSync(tmp, lines.length ? `${lines.join('\n')}\n` : '');
    renameSync(tmp, this.#path);
    this.#lines = lines.length;
  }

  /** Stores a new sample or event; returns it. */
  add(kind: OutboxRecord['kind'], body: Record<string, unknown>, backlog: boolean): OutboxRecord {
    if (this.#records.size >= this.#max) {
      const oldest = [...this.#records.values()].find(
        (r) => r.kind === 'sample' && !this.#inSealed.has(r.id),
      );
      if (oldest) {
        this.#write({ t: 'drop', id: oldest.id });
        this.dropped++;
      }
    }
    const r: OutboxRecord = { id: this.#nextId++, kind, body, backlog };
    this.#write({ t: 'add', r });
    return r;
  }

  /** Records not yet in any sealed message, oldest first. */
  unsent(): OutboxRecord[] {
    return [...this.#records.values()].filter((r) => !this.#inSealed.has(r.id)).sort((a, b) => a.id - b.id);
  }

  /** Records the envelope built from `ids` before it is published. */
  seal(m: SealedMessage): void {
    this.#write({ t: 'seal', m });
  }

  /** The PUBACK of `seq` arrived: its records are delivered and deleted. */
  ack(seq: number): void {
    if (this.#sealed.has(seq)) this.#write({ t: 'ack', seq });
  }

  /** Sealed messages without a PUBACK, lowest seq first (to redeliver unchanged). */
  sealedUnacked(): SealedMessage[] {
    return [...this.#sealed.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Samples and events not yet acknowledged (the `buffered` figure a device reports). */
  get depth(): number {
    return this.#records.size;
  }
}
