/**
 * The wire between the broker's main thread and its TLS offload workers (tls-offload-pool.ts,
 * tls-offload-worker.ts). Everything that happens to connections during one event-loop turn goes
 * in one message over the worker's one MessagePort: a list of events plus one transferred buffer
 * holding every data chunk of the turn. The per-message cost of crossing threads (a
 * `postMessage`, a structured clone, a wake-up) is thus paid once per turn, not once per chunk.
 */
import type tls from 'node:tls';

/** The op of an {@link OffloadEvent}. */
export const OP = {
  /** Worker → main: a TCP connection was accepted; may it go on? (`[ACCEPT, id, address]`). */
  ACCEPT: 1,
  /** Worker → main: the handshake failed (`[TLS_ERROR, id, err.code, authorizationError]`). */
  TLS_ERROR: 2,
  /** Worker → main: handshake done (`[SECURE, id, authorized, subject CN, serialNumber]`). */
  SECURE: 3,
  /** Both ways: bytes (`[DATA, id, offset, length]` into the batch's buffer). */
  DATA: 4,
  /** Both ways: the sender's side ended (FIN received by the worker, or `end()` on the main side). */
  END: 5,
  /** Worker → main: the socket closed. Main → worker: destroy it (also a refused admission). */
  CLOSE: 6,
  /** Main → worker: the connection was admitted, start the TLS handshake. */
  ADMIT: 7,
  /** Main → worker: stop / restart reading this socket (the main side's read buffer is full). */
  PAUSE: 8,
  RESUME: 9,
  /** Worker → main: the socket's write buffer is beyond the bound / has drained. */
  BLOCKED: 10,
  DRAINED: 11,
} as const;

/** One connection event; the first element is the op, the second the worker's connection id. */
export type OffloadEvent =
  | [op: typeof OP.ACCEPT, id: number, address: string]
  | [op: typeof OP.TLS_ERROR, id: number, errorCode: string | null, authorizationError: string | null]
  | [op: typeof OP.SECURE, id: number, authorized: boolean, cn: unknown, serialNumber: string | null]
  | [op: typeof OP.DATA, id: number, offset: number, length: number]
  | [
      op:
        | typeof OP.END
        | typeof OP.CLOSE
        | typeof OP.ADMIT
        | typeof OP.PAUSE
        | typeof OP.RESUME
        | typeof OP.BLOCKED
        | typeof OP.DRAINED,
      id: number,
    ];

/** A turn's events and the bytes their OP.DATA entries point into. */
export interface OffloadBatch {
  kind: 'batch';
  ev: OffloadEvent[];
  buf: ArrayBuffer | null;
}

/** Worker → main, besides batches. */
export type WorkerControl =
  | OffloadBatch
  | { kind: 'listening'; port: number }
  | { kind: 'listenError'; code: string | undefined; message: string }
  /** accept() failed (EMFILE/ENFILE: libuv dropped the pending connection itself). */
  | { kind: 'acceptError'; code: string | undefined; message: string };

/** Main → worker, besides batches. */
export type MainControl =
  | OffloadBatch
  /** New server certificate, key, CAs or CRL for future handshakes (server-tls.ts). */
  | { kind: 'context'; options: tls.SecureContextOptions }
  /** Stop listening and close every connection; the worker then exits. */
  | { kind: 'close' };

/** What a worker starts with (`workerData`). */
export interface OffloadWorkerData {
  host: string;
  port: number;
  /** brokerSecureContext(...) at start; plain strings and numbers, so it clones. */
  secure: tls.SecureContextOptions;
  handshakeTimeoutMs: number;
  /**
   * The session ticket keys (48 bytes) every worker shares, so a session resumed on another
   * worker than the one that issued its ticket still resumes (and is still checked against the
   * revoked list at accept and CONNECT, as on the main thread).
   */
  ticketKeys: Uint8Array;
  /** Bytes queued in a socket beyond which the worker reports OP.BLOCKED. */
  writeBound: number;
}

/** Flush early once a turn has gathered this much data, to bound the copy. */
const MAX_BATCH_BYTES = 1024 * 1024;

/**
 * Gathers one side's events of an event-loop turn and posts them as one {@link OffloadBatch}
 * (on `setImmediate`, after the turn's I/O callbacks). Data chunks are copied into one fresh
 * buffer that is transferred, not cloned; a chunk's own memory may be shared (Node's pooled
 * buffers), so it is never transferred itself.
 */
export class OffloadBatcher {
  readonly #post: (msg: OffloadBatch, transfer: ArrayBuffer[]) => void;
  #events: OffloadEvent[] = [];
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #scheduled = false;

  constructor(post: (msg: OffloadBatch, transfer: ArrayBuffer[]) => void) {
    this.#post = post;
  }

  event(ev: OffloadEvent): void {
    this.#events.push(ev);
    this.#schedule();
  }

  data(id: number, chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#events.push([OP.DATA, id, this.#bytes, chunk.length]);
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    if (this.#bytes >= MAX_BATCH_BYTES) this.flush();
    else this.#schedule();
  }

  /** Posts what was gathered (nothing when empty). */
  flush(): void {
    if (this.#events.length === 0) return;
    let buf: ArrayBuffer | null = null;
    if (this.#bytes > 0) {
      const all = new Uint8Array(this.#bytes);
      let at = 0;
      for (const c of this.#chunks) {
        all.set(c, at);
        at += c.length;
      }
      buf = all.buffer;
    }
    const ev = this.#events;
    this.#events = [];
    this.#chunks = [];
    this.#bytes = 0;
    this.#post({ kind: 'batch', ev, buf }, buf ? [buf] : []);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.flush();
    });
  }
}
