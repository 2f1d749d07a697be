import { randomBytes } from 'node:crypto';
import type tls from 'node:tls';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import {
  type MainControl,
  type OffloadBatch,
  OffloadBatcher,
  type OffloadWorkerData,
  OP,
  type WorkerControl,
} from './tls-offload-protocol.ts';
import { type OffloadLink, OffloadSocket } from './tls-offload-socket.ts';

/** What the pool asks of the broker, on the main thread. */
export interface OffloadHooks {
  /** Admission at accept (connection caps); false when refused (the socket is destroyed). */
  admit(socket: OffloadSocket): boolean;
  /** A failed handshake, as `tlsClientError` reports it; the hook destroys the socket. */
  tlsClientError(socket: OffloadSocket, errorCode: string | null, authorizationError: string | null): void;
  /** A completed handshake: `socket.authorized` and `socket.peer` are set. */
  secure(socket: OffloadSocket): void;
  /** accept() failed in a worker (EMFILE/ENFILE, ...). */
  acceptError(err: Error & { code?: string | undefined }): void;
}

/** Options of {@link TlsOffloadPool}. */
export interface TlsOffloadPoolOptions {
  workers: number;
  host: string;
  port: number;
  secure: tls.SecureContextOptions;
  handshakeTimeoutMs: number;
  log: Logger;
  hooks: OffloadHooks;
}

/** Bytes queued in a worker's socket before the main side's writer is held back. */
const WRITE_BOUND = 64 * 1024;
/** How long `close` lets a worker finish before terminating it. */
const CLOSE_TIMEOUT_MS = 2_000;
/** Restart delay after a worker died: doubled per failure in a row, up to the maximum. */
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5_000;

/** One running worker and the connections it holds (a restarted worker is a new Handle). */
interface Handle {
  index: number;
  worker: Worker;
  conns: Map<number, OffloadSocket>;
  out: OffloadBatcher;
  link: OffloadLink;
  listening: boolean;
}

/**
 * N TLS offload workers sharing the MQTT port (tls-offload-worker.ts). The first binds the port
 * (so port 0 picks one), the others bind the same port; with SO_REUSEPORT the kernel spreads new
 * connections over them. A worker that dies takes its connections with it (they are closed on this
 * side, so the broker sees them close) and is restarted on the same port.
 */
export class TlsOffloadPool {
  readonly #o: TlsOffloadPoolOptions;
  #secure: tls.SecureContextOptions;
  #port = 0;
  readonly #handles: (Handle | undefined)[] = [];
  readonly #failures: number[] = [];
  #closing = false;
  /** One set of session ticket keys for every worker, restarted ones included. */
  readonly #ticketKeys = new Uint8Array(randomBytes(48));

  constructor(o: TlsOffloadPoolOptions) {
    if (!Number.isInteger(o.workers) || o.workers < 1) throw new RangeError('workers must be >= 1');
    this.#o = o;
    this.#secure = o.secure;
  }

  /** Starts every worker; resolves with the bound port once all of them listen. */
  async start(): Promise<number> {
    try {
      this.#port = await this.#spawn(0, this.#o.port);
      const rest = Array.from({ length: this.#o.workers - 1 }, (_, i) => this.#spawn(i + 1, this.#port));
      await Promise.all(rest);
    } catch (err) {
      await this.close();
      throw err;
    }
    return this.#port;
  }

  /** The worker threads running now (a test terminates one to show what a crash does). */
  workers(): Worker[] {
    return this.#handles.flatMap((h) => (h ? [h.worker] : []));
  }

  /** Connections the workers hold (admission asked or granted, not yet closed). */
  get connections(): number {
    return this.#handles.reduce((n, h) => n + (h?.conns.size ?? 0), 0);
  }

  /** New TLS material for future handshakes in every worker, and in workers started later. */
  setSecureContext(options: tls.SecureContextOptions): void {
    this.#secure = options;
    for (const h of this.#handles) if (h) this.#send(h, { kind: 'context', options });
  }

  /** Stops the workers: their listeners close, every connection is closed on both sides. */
  async close(): Promise<void> {
    this.#closing = true;
    const exits = this.#handles.map(async (h) => {
      if (!h) return;
      const exited = new Promise<void>((resolve) => h.worker.once('exit', () => resolve()));
      h.out.flush();
      this.#send(h, { kind: 'close' });
      const timer = setTimeout(() => void h.worker.terminate(), CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    });
    await Promise.all(exits);
  }

  #send(h: Handle, msg: MainControl, transfer: ArrayBuffer[] = []): void {
    try {
      h.worker.postMessage(msg, transfer);
    } catch (err) {
      this.#o.log.error({ err, worker: h.index }, 'could not post to a listener worker');
    }
  }

  #spawn(index: number, port: number): Promise<number> {
    const data: OffloadWorkerData = {
      host: this.#o.host,
      port,
      secure: this.#secure,
      handshakeTimeoutMs: this.#o.handshakeTimeoutMs,
      ticketKeys: this.#ticketKeys,
      writeBound: WRITE_BOUND,
    };
    const worker = new Worker(new URL('./tls-offload-worker.ts', import.meta.url), { workerData: data });
    const conns = new Map<number, OffloadSocket>();
    const h: Handle = {
      index,
      worker,
      conns,
      listening: false,
      out: new OffloadBatcher((msg, transfer) => this.#send(h, msg, transfer)),
      link: {
        data: (id, chunk) => h.out.data(id, chunk),
        end: (id) => h.out.event([OP.END, id]),
        destroy: (id) => h.out.event([OP.CLOSE, id]),
        pause: (id) => h.out.event([OP.PAUSE, id]),
        resume: (id) => h.out.event([OP.RESUME, id]),
        forget: (id) => conns.delete(id),
      },
    };
    this.#handles[index] = h;
    return new Promise<number>((resolve, reject) => {
      worker.on('message', (msg: WorkerControl) => {
        if (msg.kind === 'batch') this.#onBatch(h, msg);
        else if (msg.kind === 'listening') {
          h.listening = true;
          this.#failures[index] = 0;
          resolve(msg.port);
        } else if (msg.kind === 'listenError') {
          reject(Object.assign(new Error(msg.message), { code: msg.code }));
          void worker.terminate();
        } else this.#o.hooks.acceptError(Object.assign(new Error(msg.message), { code: msg.code }));
      });
      worker.on('error', (err) => this.#o.log.error({ err, worker: index }, 'listener worker failed'));
      worker.on('exit', (code) => {
        reject(new Error(`listener worker exited (${code}) before listening`));
        this.#onExit(h, code);
      });
    });
  }

  #onExit(h: Handle, code: number): void {
    if (this.#handles[h.index] !== h) return;
    this.#handles[h.index] = undefined;
    const lost = [...h.conns.values()];
    h.conns.clear();
    for (const s of lost) s.remoteClosed();
    if (this.#closing) return;
    const failures = (this.#failures[h.index] ?? 0) + 1;
    this.#failures[h.index] = failures;
    const delayMs = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** (failures - 1));
    this.#o.log.error(
      { worker: h.index, exitCode: code, connections: lost.length, restartInMs: delayMs },
      'listener worker exited; its connections were closed; restarting it',
    );
    setTimeout(() => {
      if (this.#closing || this.#handles[h.index]) return;
      this.#spawn(h.index, this.#port).then(
        () => this.#o.log.info({ worker: h.index, port: this.#port }, 'listener worker restarted'),
        (err: unknown) => this.#o.log.error({ err, worker: h.index }, 'listener worker restart failed'),
      );
    }, delayMs).unref();
  }

  #onBatch(h: Handle, msg: OffloadBatch): void {
    const buf = msg.buf ? Buffer.from(msg.buf) : null;
    for (const ev of msg.ev) {
      const id = ev[1];
      if (ev[0] === OP.ACCEPT) {
        const s = new OffloadSocket(id, ev[2], h.link);
        h.conns.set(id, s);
        // A refused socket is destroyed by the gate, which tells the worker (OP.CLOSE).
        if (this.#closing) s.destroy();
        else if (this.#o.hooks.admit(s)) h.out.event([OP.ADMIT, id]);
        continue;
      }
      const s = h.conns.get(id);
      if (!s) continue;
      switch (ev[0]) {
        case OP.TLS_ERROR:
          this.#o.hooks.tlsClientError(s, ev[2], ev[3]);
          break;
        case OP.SECURE:
          s.authorized = ev[2];
          s.peer = { cn: ev[3], serialNumber: ev[4] ?? undefined };
          this.#o.hooks.secure(s);
          break;
        case OP.DATA:
          if (buf) s.deliver(buf.subarray(ev[2], ev[2] + ev[3]));
          break;
        case OP.END:
          s.remoteEnd();
          break;
        case OP.CLOSE:
          h.conns.delete(id);
          s.remoteClosed();
          break;
        case OP.BLOCKED:
        case OP.DRAINED:
          s.setBlocked(ev[0] === OP.BLOCKED);
          break;
      }
    }
  }
}
