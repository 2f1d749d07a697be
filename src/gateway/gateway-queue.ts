import Database from 'better-sqlite3-multiple-ciphers';
import { VigilError } from '../errors.ts';

/** One envelope waiting for the uplink. */
export interface QueuedEnvelope {
  id: number;
  deviceId: string;
  topic: string;
  payload: Buffer;
  queuedAt: number;
}

/** A command waiting for its (offline) device. */
export interface QueuedCommand {
  id: number;
  deviceId: string;
  topic: string;
  payload: Buffer;
}

type Pending = { deviceId: string; topic: string; payload: Buffer; at: number; done: (err?: Error) => void };

/**
 * The gateway's durable store-and-forward queue (docs/gateway.md): SQLite in WAL mode with
 * `synchronous=FULL`, so a resolved {@link enqueue} (after which the device gets its PUBACK)
 * survives kill -9 and power loss. Envelopes are kept as received: sealed by the device, opaque
 * here. Inserts made in one tick share one commit (one fsync); deletions after an upstream
 * PUBACK are batched the same way (a crash before one only means a resend, which Vigil's replay
 * guard absorbs). Bounded by `maxBytes`: an envelope that does not fit is refused, never another
 * one dropped.
 */
export class GatewayQueue {
  readonly maxBytes: number;
  #db: Database.Database;
  #bytes = 0;
  #depth = 0;
  #reserved = 0;
  #pending: Pending[] = [];
  #deletes: number[] = [];
  #flushScheduled = false;
  #closed = false;
  #insert: Database.Statement;
  #delete: Database.Statement;

  private constructor(db: Database.Database, maxBytes: number) {
    this.#db = db;
    this.maxBytes = maxBytes;
    const row = db
      .prepare('SELECT count(*) AS n, coalesce(sum(length(payload)), 0) AS b FROM uplink')
      .get() as {
      n: number;
      b: number;
    };
    this.#depth = row.n;
    this.#bytes = row.b;
    this.#insert = db.prepare(
      'INSERT INTO uplink (device_id, topic, payload, queued_at) VALUES (?, ?, ?, ?)',
    );
    this.#delete = db.prepare('DELETE FROM uplink WHERE id = ?');
  }

  static open(path: string, maxBytes: number): GatewayQueue {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    // docs/gateway.md: a PUBACK to a device is a promise, kept across a crash or power loss.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS uplink (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        payload BLOB NOT NULL,
        queued_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE IF NOT EXISTS downlink (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        payload BLOB NOT NULL,
        queued_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX IF NOT EXISTS downlink_device ON downlink (device_id, id);
    `);
    return new GatewayQueue(db, maxBytes);
  }

  get bytes(): number {
    return this.#bytes;
  }
  get depth(): number {
    return this.#depth;
  }
  /** True when the next envelope of `size` bytes would not fit. */
  full(size = 1): boolean {
    return this.#bytes + this.#reserved + size > this.maxBytes;
  }

  /**
   * Stores an envelope durably; resolves once committed. VIGIL_ERR_GATEWAY_QUEUE_FULL when it
   * does not fit (the caller then withholds the PUBACK: the device keeps the envelope).
   */
  enqueue(deviceId: string, topic: string, payload: Buffer, at: number): Promise<void> {
    if (this.#closed) return Promise.reject(new VigilError('VIGIL_ERR_STORE', 'gateway queue closed'));
    if (this.full(payload.length)) return Promise.reject(new VigilError('VIGIL_ERR_GATEWAY_QUEUE_FULL'));
    this.#reserved += payload.length;
    return new Promise((resolve, reject) => {
      this.#pending.push({
        deviceId,
        topic,
        payload,
        at,
        done: (err) => (err ? reject(err) : resolve()),
      });
      this.#schedule();
    });
  }

  /** Up to `limit` envelopes after id `afterId`, oldest first (per-device order is queue order). */
  next(afterId: number, limit: number): QueuedEnvelope[] {
    return (
      this.#db
        .prepare(
          'SELECT id, device_id, topic, payload, queued_at FROM uplink WHERE id > ? ORDER BY id LIMIT ?',
        )
        .all(afterId, limit) as {
        id: number;
        device_id: string;
        topic: string;
        payload: Buffer;
        queued_at: number;
      }[]
    ).map((r) => ({
      id: r.id,
      deviceId: r.device_id,
      topic: r.topic,
      payload: r.payload,
      queuedAt: r.queued_at,
    }));
  }

  /** When the oldest queued envelope arrived, or null when empty. */
  oldestAt(): number | null {
    const r = this.#db.prepare('SELECT queued_at FROM uplink ORDER BY id LIMIT 1').get() as
      | { queued_at: number }
      | undefined;
    return r?.queued_at ?? null;
  }

  /** Forgets a forwarded envelope (upstream PUBACK received); `size` is its payload length. */
  remove(id: number, size: number): void {
    this.#deletes.push(id);
    this.#bytes -= size;
    this.#depth--;
    this.#schedule();
  }

  /** Keeps a command for a device that is not connected. */
  pushCommand(deviceId: string, topic: string, payload: Buffer, at: number): void {
    this.#db
      .prepare('INSERT INTO downlink (device_id, topic, payload, queued_at) VALUES (?, ?, ?, ?)')
      .run(deviceId, topic, payload, at);
  }

  commandsFor(deviceId: string): QueuedCommand[] {
    return (
      this.#db
        .prepare('SELECT id, device_id, topic, payload FROM downlink WHERE device_id = ? ORDER BY id')
        .all(deviceId) as { id: number; device_id: string; topic: string; payload: Buffer }[]
    ).map((r) => ({ id: r.id, deviceId: r.device_id, topic: r.topic, payload: r.payload }));
  }

  commandCount(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM downlink').get() as { n: number }).n;
  }

  removeCommand(id: number): void {
    this.#db.prepare('DELETE FROM downlink WHERE id = ?').run(id);
  }

  /** Commits what is pending, then closes. */
  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.#db.close();
  }

  #schedule(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (!this.#closed) this.#flush();
    });
  }

  #flush(): void {
    const batch = this.#pending.splice(0);
    const deletes = this.#deletes.splice(0);
    if (batch.length === 0 && deletes.length === 0) return;
    try {
      this.#db.transaction(() => {
        for (const p of batch) this.#insert.run(p.deviceId, p.topic, p.payload, p.at);
        for (const id of deletes) this.#delete.run(id);
      })();
    } catch (err) {
      for (const p of batch) {
        this.#reserved -= p.payload.length;
        p.done(new VigilError('VIGIL_ERR_STORE', 'gateway queue write failed', { cause: err }));
      }
      // The deletions are retried with the next batch: forwarding them again is harmless.
      this.#deletes.unshift(...deletes);
      return;
    }
    for (const p of batch) {
      this.#reserved -= p.payload.length;
      this.#bytes += p.payload.length;
      this.#depth++;
      p.done();
    }
  }
}
