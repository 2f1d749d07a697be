import type { Principal } from '../auth/principal.ts';
import { can, type Permission } from '../auth/rbac.ts';
import type { LiveFrame, LiveType } from '../live/live-bus.ts';

/** What each kind of live message needs (docs/permissions.md). */
export const LIVE_PERMISSIONS: Readonly<Record<LiveType, Permission>> = {
  reading: 'readings.read',
  alarm: 'alarms.read',
  device: 'devices.read',
  system: 'system.read',
  command: 'devices.read',
  ota: 'devices.read',
};

/** RFC 6455 §7.4.1 / IANA registry: 1013 "Try Again Later" (the server dropped a slow client). */
export const CLOSE_SLOW_CONSUMER = 1013;
/** 1001 "Going Away": the server is shutting down. */
export const CLOSE_GOING_AWAY = 1001;
/** Application code (RFC 6455 §7.4.2, 4000-4999): the session expired, ended or lost its rights. */
export const CLOSE_SESSION_ENDED = 4401;

/** The part of a `ws` WebSocket the client uses (a fake in unit tests). */
export interface LiveSocket {
  /** Bytes queued in user space, not yet handed to the kernel. */
  readonly bufferedAmount: number;
  send(data: string, cb: (err?: Error) => void): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

/** Per-client bounds; beyond either the client is dropped. */
export interface LiveClientLimits {
  /** Messages handed to the socket and not yet written out. Default 1000. */
  maxQueue: number;
  /** `bufferedAmount` above which the client counts as stalled. Default 1 MiB. */
  maxBufferedBytes: number;
}

export const DEFAULT_LIVE_CLIENT_LIMITS: LiveClientLimits = { maxQueue: 1000, maxBufferedBytes: 1 << 20 };

/** After a drop or a close, the socket is destroyed if the peer has not finished closing by then. */
const TERMINATE_AFTER_MS = 1000;

/**
 * One live-feed connection. {@link offer} is called synchronously by the bus for every frame: it
 * filters by the principal's permissions and hands the frame to the socket, or drops the client
 * (close 1013) when its queue is full: messages written but not yet flushed to the kernel reach
 * `maxQueue`, or the socket's user-space buffer exceeds `maxBufferedBytes`. Nothing here awaits,
 * so a browser that stops reading costs at most its bounded buffer and never delays the producer.
 */
export class LiveClient {
  readonly #socket: LiveSocket;
  readonly #limits: LiveClientLimits;
  readonly #onDrop: (client: LiveClient) => void;
  #principal: Principal;
  #allowed = new Set<LiveType>();
  #inFlight = 0;
  #closed = false;
  /** Frames handed to the socket. */
  sent = 0;

  constructor(
    socket: LiveSocket,
    principal: Principal,
    onDrop: (client: LiveClient) => void,
    limits: Partial<LiveClientLimits> = {},
  ) {
    this.#socket = socket;
    this.#limits = { ...DEFAULT_LIVE_CLIENT_LIMITS, ...limits };
    this.#onDrop = onDrop;
    this.#principal = principal;
    this.setPrincipal(principal);
  }

  get principal(): Principal {
    return this.#principal;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Messages queued on the socket and not yet written out. */
  get queued(): number {
    return this.#inFlight;
  }

  /** Re-derives what the client may receive (after a role change). */
  setPrincipal(p: Principal): void {
    this.#principal = p;
    this.#allowed = new Set(
      (Object.keys(LIVE_PERMISSIONS) as LiveType[]).filter((t) => can(p, LIVE_PERMISSIONS[t]) === 'ok'),
    );
  }

  /** True when the principal may receive messages of this type. */
  allows(type: LiveType): boolean {
    return this.#allowed.has(type);
  }

  /** True when the client may receive anything at all. */
  allowsAny(): boolean {
    return this.#allowed.size > 0;
  }

  /** Hands a frame to the socket (if permitted), or drops the client when it has fallen behind. */
  offer(frame: LiveFrame): 'sent' | 'skipped' | 'dropped' {
    if (this.#closed) return 'skipped';
    if (!this.#allowed.has(frame.type)) return 'skipped';
    if (
      this.#inFlight >= this.#limits.maxQueue ||
      this.#socket.bufferedAmount > this.#limits.maxBufferedBytes
    ) {
      this.close(CLOSE_SLOW_CONSUMER, 'too slow');
      this.#onDrop(this);
      return 'dropped';
    }
    this.#inFlight++;
    this.sent++;
    this.#socket.send(frame.json, () => {
      this.#inFlight--;
    });
    return 'sent';
  }

  /** Closes the connection (idempotent); the socket is destroyed if the peer does not answer. */
  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#socket.close(code, reason);
    } catch {
      // already closing
    }
    const t = setTimeout(() => this.#socket.terminate(), TERMINATE_AFTER_MS);
    t.unref();
  }

  /** Marks the client closed after the peer closed the connection. */
  markClosed(): void {
    this.#closed = true;
  }
}
