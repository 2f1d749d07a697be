/**
 * The live feed: one WebSocket to `/api/v1/live` (same session cookie, Origin checked by the
 * server), JSON messages `{ type, data }`. Reconnects with capped exponential backoff and jitter;
 * after repeated failures the pages still work from polling (see store.ts).
 */
import type { LiveMessage } from './types.ts';

export type LiveStatus = 'connecting' | 'live' | 'offline';
type Handler = (m: LiveMessage) => void;
type StatusHandler = (s: LiveStatus) => void;

const MIN_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;

export class LiveFeed {
  #ws: WebSocket | null = null;
  #status: LiveStatus = 'offline';
  #delay = MIN_DELAY_MS;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = true;
  readonly #handlers = new Set<Handler>();
  readonly #statusHandlers = new Set<StatusHandler>();
  /** Messages received since start, for the header's activity hint and tests. */
  received = 0;

  get status(): LiveStatus {
    return this.#status;
  }

  onMessage(fn: Handler): () => void {
    this.#handlers.add(fn);
    return () => this.#handlers.delete(fn);
  }

  onStatus(fn: StatusHandler): () => void {
    this.#statusHandlers.add(fn);
    fn(this.#status);
    return () => this.#statusHandlers.delete(fn);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const ws = this.#ws;
    this.#ws = null;
    ws?.close(1000, 'signed out');
    this.#setStatus('offline');
  }

  #setStatus(s: LiveStatus): void {
    if (s === this.#status) return;
    this.#status = s;
    for (const fn of this.#statusHandlers) fn(s);
  }

  #connect(): void {
    if (this.#stopped) return;
    this.#setStatus('connecting');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${scheme}//${location.host}/api/v1/live`);
    } catch {
      this.#retry();
      return;
    }
    this.#ws = ws;
    ws.addEventListener('open', () => {
      this.#delay = MIN_DELAY_MS;
      this.#setStatus('live');
    });
    ws.addEventListener('message', (ev) => {
      if (typeof ev.data !== 'string') return;
      let m: unknown;
      try {
        m = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (typeof m !== 'object' || m === null || typeof (m as { type?: unknown }).type !== 'string') return;
      this.received++;
      for (const fn of this.#handlers) fn(m as LiveMessage);
    });
    ws.addEventListener('close', () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#retry();
    });
  }

  #retry(): void {
    if (this.#stopped) return;
    this.#setStatus('offline');
    const wait = this.#delay * (0.75 + Math.random() * 0.5);
    this.#delay = Math.min(MAX_DELAY_MS, this.#delay * 2);
    this.#timer = setTimeout(() => this.#connect(), wait);
  }
}
