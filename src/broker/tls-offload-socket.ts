import { Duplex } from 'node:stream';
import type { TlsPeerFields } from './tls-peer.ts';

/** How an {@link OffloadSocket} talks to the worker that holds its TLS socket. */
export interface OffloadLink {
  data(id: number, chunk: Uint8Array): void;
  end(id: number): void;
  destroy(id: number): void;
  pause(id: number): void;
  resume(id: number): void;
  /** The socket is gone on this side: forget it. */
  forget(id: number): void;
}

/**
 * The main thread's end of a connection whose TCP and TLS live in an offload worker
 * (tls-offload-pool.ts). It is what the broker gets instead of a `tls.TLSSocket`: a Duplex of
 * plaintext with the fields the broker reads (`remoteAddress`, `authorized`, the peer certificate's
 * CN and serial), so the PacketGuard, Aedes and every broker rule handle it the same way.
 *
 * Flow control mirrors a socket's: reads beyond the readable buffer pause the worker's socket
 * until they are consumed; while the worker's socket has more than its bound queued, `write`
 * holds its callback (as a socket's `write()` returns false until 'drain').
 */
export class OffloadSocket extends Duplex {
  readonly id: number;
  readonly remoteAddress: string;
  /** Set from the worker's handshake report. */
  authorized = false;
  peer: TlsPeerFields | undefined;
  #link: OffloadLink;
  #paused = false;
  #blocked = false;
  #pendingWrite: ((err?: Error | null) => void) | null = null;
  #closedByWorker = false;

  constructor(id: number, remoteAddress: string, link: OffloadLink) {
    super({ allowHalfOpen: false });
    this.id = id;
    this.remoteAddress = remoteAddress;
    this.#link = link;
  }

  /** Plaintext from the worker. */
  deliver(chunk: Buffer): void {
    if (this.destroyed) return;
    if (!this.push(chunk) && !this.#paused) {
      this.#paused = true;
      this.#link.pause(this.id);
    }
  }

  /** The peer ended its side (FIN). */
  remoteEnd(): void {
    if (!this.destroyed) this.push(null);
  }

  /** The worker's socket closed, or the worker died: this side goes too. */
  remoteClosed(): void {
    this.#closedByWorker = true;
    if (!this.destroyed) this.destroy();
  }

  /** The worker's write queue went beyond its bound (true) or drained (false). */
  setBlocked(blocked: boolean): void {
    this.#blocked = blocked;
    if (!blocked) this.#flushPending(null);
  }

  #flushPending(err: Error | null): void {
    const cb = this.#pendingWrite;
    this.#pendingWrite = null;
    cb?.(err);
  }

  override _read(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#link.resume(this.id);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#link.data(this.id, chunk);
    if (this.#blocked) this.#pendingWrite = cb;
    else cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#link.end(this.id);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#flushPending(err ?? new Error('socket closed'));
    if (!this.#closedByWorker) this.#link.destroy(this.id);
    this.#link.forget(this.id);
    cb(err);
  }
}
