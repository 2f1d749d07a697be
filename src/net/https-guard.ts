import type { IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { ConnectionGate, type GateRefusal, isDescriptorExhaustion } from './connection-gate.ts';
import type { FdBudget } from './fd-budget.ts';

/** Bounds on the HTTPS listener's connections. */
export interface HttpsGuardOptions {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /**
   * After the TLS handshake, the first request's headers must start arriving by then (Node's own
   * `headersTimeout` only covers a request that has begun; keep-alive covers the later ones).
   */
  firstRequestTimeoutMs: number;
  budget?: FdBudget | undefined;
  onRefuse?: (reason: Exclude<GateRefusal, 'closing'>, address: string) => void;
  /** accept() failed for lack of descriptors (EMFILE/ENFILE). */
  onAcceptError?: (err: Error) => void;
  /** Any other listener error. */
  onError?: (err: Error) => void;
}

/** Counters of a guarded HTTPS listener. */
export interface HttpsGuardStats {
  /** TCP connections open (in TLS handshake, idle, or serving). */
  connections: number;
  /** Of those, still in the TLS handshake or waiting for their first request. */
  idle: number;
  acceptErrors: number;
}

/** What {@link guardHttpsServer} returns. */
export interface HttpsGuard {
  stats(): HttpsGuardStats;
  /** Refuses new connections and closes those with no request in flight (shutdown). */
  closeIdle(): number;
  /** Destroys every connection still open (the shutdown deadline). */
  destroyAll(): number;
}

/**
 * Puts an HTTPS server's connections under the same admission as the broker's: per-address and
 * global caps and a share of the descriptor budget, checked on the raw TCP socket before any TLS
 * work; connections that never send a request are closed; EMFILE on accept is counted. Node's
 * own `server.close()` waits for connections that never finished their TLS handshake (the HTTP
 * layer does not know them), so {@link HttpsGuard.closeIdle} closes those too.
 */
export function guardHttpsServer(server: HttpsServer, o: HttpsGuardOptions): HttpsGuard {
  const gate = new ConnectionGate({
    fdClass: 'https',
    budget: o.budget,
    maxConnections: o.maxConnections,
    maxConnectionsPerAddress: o.maxConnectionsPerAddress,
    ...(o.onRefuse ? { onRefuse: o.onRefuse } : {}),
  });
  /** Raw sockets that have not begun a request yet (TLS handshake or waiting). */
  const waiting = new Set<net.Socket>();
  let acceptErrors = 0;

  // The TLS server wraps each raw socket in its 'connection' listener; run it only for admitted
  // sockets, so a refused one costs no TLS state at all.
  const tlsListeners = server.listeners('connection') as ((s: net.Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (raw: net.Socket) => {
    raw.on('error', () => {});
    if (gate.admit(raw) !== null) return;
    waiting.add(raw);
    raw.once('close', () => waiting.delete(raw));
    for (const l of tlsListeners) l.call(server, raw);
  });
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    const raw = parentOf(socket);
    const timer = setTimeout(() => {
      if (raw && waiting.has(raw)) socket.destroy();
    }, o.firstRequestTimeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
  const started = (req: IncomingMessage) => {
    const raw = parentOf(req.socket as tls.TLSSocket);
    if (raw) waiting.delete(raw);
  };
  server.on('request', started);
  server.on('upgrade', started);
  server.on('error', (err: Error) => {
    // libuv accepts and closes the pending connection itself when out of descriptors (its
    // EMFILE reserve), so nothing here retries and the loop does not spin.
    if (isDescriptorExhaustion(err)) {
      acceptErrors++;
      o.onAcceptError?.(err);
    } else o.onError?.(err);
  });

  return {
    stats: () => ({ connections: gate.size, idle: waiting.size, acceptErrors }),
    closeIdle: () => {
      gate.close();
      const idle = [...waiting];
      for (const s of idle) s.destroy();
      return idle.length;
    },
    destroyAll: () => gate.destroyAll(),
  };
}

function parentOf(socket: tls.TLSSocket): net.Socket | undefined {
  // Node keeps the wrapped TCP socket as `_parent` (the socket the 'connection' event carried).
  return (socket as unknown as { _parent?: net.Socket })._parent;
}
