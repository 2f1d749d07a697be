import type { FdBudget, FdClass } from './fd-budget.ts';

/**
 * What the gate needs of a connection: a TCP socket, or the main thread's end of one held by a
 * TLS offload worker (src/broker/tls-offload-socket.ts).
 */
export interface GateSocket {
  readonly remoteAddress?: string | undefined;
  on(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  destroy(): unknown;
}

/** Why a connection was refused at accept. */
export type GateRefusal = 'closing' | 'connection_limit' | 'address_connection_limit' | 'fd_budget';

/** Options of {@link ConnectionGate}. */
export interface ConnectionGateOptions {
  /** Which share of the descriptor budget this listener draws on. */
  fdClass: FdClass;
  /** The process's shared descriptor budget; without one only the caps below apply. */
  budget?: FdBudget | undefined;
  /** Concurrent TCP connections in total. */
  maxConnections: number;
  /** Concurrent TCP connections per remote address. */
  maxConnectionsPerAddress: number;
  /** Called for every refusal (not while closing); must not throw. */
  onRefuse?: (reason: Exclude<GateRefusal, 'closing'>, address: string) => void;
}

/**
 * Admission of TCP connections at accept, before any TLS work: a global cap, a per-address cap
 * and a share of the process's descriptor budget. Every admitted socket is tracked until it
 * closes, so a listener can be closed at once (no connection outlives shutdown) and its
 * counts always match the sockets really open.
 */
export class ConnectionGate {
  readonly #o: ConnectionGateOptions;
  readonly #sockets = new Set<GateSocket>();
  readonly #address = new WeakMap<GateSocket, string>();
  readonly #perAddress = new Map<string, number>();
  #closing = false;

  constructor(o: ConnectionGateOptions) {
    for (const k of ['maxConnections', 'maxConnectionsPerAddress'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 1) throw new RangeError(`${k} must be a positive integer`);
    }
    this.#o = o;
  }

  /**
   * Admits `socket` or destroys it. Returns the refusal, or null when admitted (then the socket
   * is counted until its 'close').
   */
  admit(socket: GateSocket): GateRefusal | null {
    const address = normalizeAddress(socket.remoteAddress);
    const refusal = this.#refusal(address);
    if (refusal) {
      socket.on('error', () => {});
      socket.destroy();
      if (refusal !== 'closing') this.#o.onRefuse?.(refusal, address);
      return refusal;
    }
    this.#sockets.add(socket);
    this.#address.set(socket, address);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#o.budget?.release(this.#o.fdClass);
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(address, left);
      else this.#perAddress.delete(address);
    });
    return null;
  }

  #refusal(address: string): GateRefusal | null {
    if (this.#closing) return 'closing';
    if (this.#sockets.size >= this.#o.maxConnections) return 'connection_limit';
    if ((this.#perAddress.get(address) ?? 0) >= this.#o.maxConnectionsPerAddress) {
      return 'address_connection_limit';
    }
    if (this.#o.budget && !this.#o.budget.acquire(this.#o.fdClass)) return 'fd_budget';
    return null;
  }

  /** The normalised remote address an admitted socket was counted under. */
  addressOf(socket: GateSocket): string | undefined {
    return this.#address.get(socket);
  }

  /** Admitted sockets still open. */
  get size(): number {
    return this.#sockets.size;
  }

  /** Distinct remote addresses with an open connection. */
  get addresses(): number {
    return this.#perAddress.size;
  }

  sockets(): IterableIterator<GateSocket> {
    return this.#sockets.values();
  }

  /** Refuses every later connection (shutdown). */
  close(): void {
    this.#closing = true;
  }

  /** Destroys every admitted socket still open. */
  destroyAll(): number {
    const n = this.#sockets.size;
    for (const s of [...this.#sockets]) s.destroy();
    return n;
  }
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, so a dual-stack listener counts IPv4 peers by their address. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Accept failures that mean "out of descriptors" (the socket was never created). */
export function isDescriptorExhaustion(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}
