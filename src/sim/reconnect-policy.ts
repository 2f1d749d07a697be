/**
 * When and where a device reconnects (docs/protocol.md §8): exponential backoff with full jitter
 * (the delay is uniform in [0, min(cap, base * 2^attempt)), as in "Exponential Backoff And
 * Jitter", AWS Architecture Blog, 2015), a move to the next broker of the ordered list after every
 * failed attempt, and a return to the primary (the first entry) once the connection to another
 * one has been stable for `stableMs`. Pure: randomness comes in as an argument.
 */
export interface ReconnectSettings {
  baseMs: number;
  capMs: number;
  /** How long a connection to a non-primary broker must last before trying the primary again. */
  stableMs: number;
}

export const DEFAULT_RECONNECT: ReconnectSettings = { baseMs: 1000, capMs: 60_000, stableMs: 300_000 };

export class ReconnectPolicy {
  readonly #brokers: readonly string[];
  readonly #s: ReconnectSettings;
  #index = 0;
  #attempt = 0;

  constructor(brokers: readonly string[], settings: ReconnectSettings = DEFAULT_RECONNECT) {
    if (brokers.length === 0) throw new Error('no broker to connect to');
    this.#brokers = brokers;
    this.#s = settings;
  }

  /** The broker to try next. */
  get current(): string {
    return this.#brokers[this.#index] as string;
  }

  get onPrimary(): boolean {
    return this.#index === 0;
  }

  /** A connection attempt (or an established connection) failed: next broker, longer delay. */
  failed(random: number): number {
    const delay = Math.floor(random * Math.min(this.#s.capMs, this.#s.baseMs * 2 ** this.#attempt));
    this.#attempt = Math.min(this.#attempt + 1, 30);
    this.#index = (this.#index + 1) % this.#brokers.length;
    return delay;
  }

  /**
   * An established connection closed: the first retry goes to the same broker (a blip), with a
   * jittered delay from the base; further failures move down the list.
   */
  lost(random: number): number {
    this.#attempt = 1;
    return Math.floor(random * this.#s.baseMs);
  }

  /** Connected: the backoff starts over. */
  connected(): void {
    this.#attempt = 0;
  }

  /** Whether it is time to leave a stable non-primary connection for the primary. */
  shouldReturn(connectedForMs: number): boolean {
    return this.#index !== 0 && connectedForMs >= this.#s.stableMs;
  }

  /** Go back to the primary (the caller closes the current connection gracefully). */
  returnToPrimary(): void {
    this.#index = 0;
    this.#attempt = 0;
  }
}
