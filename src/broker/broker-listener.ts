import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { type ConnectionGate, isDescriptorExhaustion, normalizeAddress } from '../net/connection-gate.ts';
import type { BrokerSecurityEvent } from './broker-types.ts';
import { swapSecureContext } from './server-tls.ts';
import { classifyTlsFailure } from './tls-failure.ts';
import { TlsOffloadPool } from './tls-offload-pool.ts';
import type { OffloadSocket } from './tls-offload-socket.ts';
import { type TlsPeerFields, tlsPeer, tlsPeerFields } from './tls-peer.ts';

/** Options of {@link BrokerListener}. */
export interface BrokerListenerOptions {
  host: string;
  port: number;
  /** brokerSecureContext(...) at start. */
  secure: tls.SecureContextOptions;
  handshakeTimeoutMs: number;
  /** TLS offload workers (`mqtt.listenerWorkers`); 0 terminates TLS on this thread. */
  workers: number;
  gate: ConnectionGate;
  log: Logger;
  emit(ev: BrokerSecurityEvent): void;
  isRevoked(serial: string): boolean;
  isClosing(): boolean;
  /** A connection whose TLS peer is authorised, names a valid identity and is not revoked. */
  onPeer(socket: Duplex, address: string, cn: string, serial: string): void;
}

/**
 * The embedded broker's mutual-TLS listener. Connections are admitted by the gate (connection
 * caps, descriptor budget) before any TLS work, then handshake with the broker's secure context;
 * what comes out is an authorised plaintext stream and its certificate's identity. Either on this
 * thread (a `net.Server` that hands admitted sockets to a `tls.Server` which never listens itself:
 * there is no plain-TCP path), or in TLS offload workers (tls-offload-pool.ts), whose connections
 * arrive as {@link OffloadSocket}s and pass the same checks here.
 */
export class BrokerListener {
  readonly #o: BrokerListenerOptions;
  #tlsServer: tls.Server | undefined;
  #netServer: net.Server | undefined;
  #pool: TlsOffloadPool | undefined;
  #address: net.AddressInfo | undefined;
  #netClosed: Promise<void> | undefined;
  /** accept() failures for lack of file descriptors since start. */
  acceptErrors = 0;

  constructor(o: BrokerListenerOptions) {
    this.#o = o;
  }

  /** Listens; resolves with the bound address. */
  async start(): Promise<net.AddressInfo> {
    const { host, port } = this.#o;
    if (this.#o.workers > 0) {
      this.#pool = new TlsOffloadPool({
        workers: this.#o.workers,
        host,
        port,
        secure: this.#o.secure,
        handshakeTimeoutMs: this.#o.handshakeTimeoutMs,
        log: this.#o.log,
        hooks: {
          admit: (s) => this.#o.gate.admit(s) === null,
          tlsClientError: (s, code, why) => this.#tlsFailure(s, code === null ? {} : { code }, why),
          secure: (s) =>
            this.#secure(s, s.authorized, () => s.peer ?? { cn: undefined, serialNumber: undefined }),
          acceptError: (err) => this.#onListenerError(err),
        },
      });
      const bound = await this.#pool.start();
      this.#address = { address: host, family: net.isIPv6(host) ? 'IPv6' : 'IPv4', port: bound };
      return this.#address;
    }
    const tlsServer = tls.createServer({
      ...this.#o.secure,
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: this.#o.handshakeTimeoutMs,
    });
    tlsServer.on('secureConnection', (s) => this.#secure(s, s.authorized, () => tlsPeerFields(s)));
    tlsServer.on('tlsClientError', (err, s) => this.#tlsFailure(s, err, s.authorizationError));
    const netServer = net.createServer({ noDelay: true }, (raw) => {
      raw.on('error', () => {}); // the TLS layer reports handshake failures
      if (this.#o.gate.admit(raw) === null) tlsServer.emit('connection', raw);
    });
    netServer.on('error', (err) => this.#onListenerError(err));
    this.#tlsServer = tlsServer;
    this.#netServer = netServer;
    await new Promise<void>((resolve, reject) => {
      netServer.once('error', reject);
      netServer.listen({ host, port }, () => {
        netServer.off('error', reject);
        resolve();
      });
    });
    this.#address = netServer.address() as net.AddressInfo;
    return this.#address;
  }

  /**
   * New TLS material for future handshakes (server-tls.ts): built first, so bad material throws
   * here and changes nothing; then installed here or in every offload worker.
   */
  setSecureContext(options: tls.SecureContextOptions): void {
    tls.createSecureContext(options);
    if (this.#tlsServer) swapSecureContext(this.#tlsServer, options);
    this.#o.secure = options;
    this.#pool?.setSecureContext(options);
  }

  /** The offload worker threads (none without offload). */
  workers(): Worker[] {
    return this.#pool?.workers() ?? [];
  }

  /**
   * Stops taking connections (shutdown starts); live ones go on. Offload workers keep their
   * listeners until {@link close}, and the gate (closed first by the broker) refuses what they
   * accept meanwhile.
   */
  stopAccepting(): void {
    const s = this.#netServer;
    if (s?.listening) this.#netClosed = new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Stops listening; resolves once every connection is closed (offload: workers stopped). */
  async close(): Promise<void> {
    this.stopAccepting();
    await Promise.all([this.#netClosed, this.#pool?.close()]);
    this.#address = undefined;
  }

  #onListenerError(err: Error): void {
    // libuv accepts and closes the pending connection itself when out of descriptors (its
    // EMFILE reserve), so nothing here retries; count it (the logger summarises repeats).
    if (isDescriptorExhaustion(err)) {
      this.acceptErrors++;
      this.#o.emit({
        code: 'VIGIL_ERR_CONNECTION_LIMIT',
        reason: 'fd_exhausted',
        detail: { errno: 'EMFILE' },
      });
      return;
    }
    this.#o.log.error({ err }, 'listener error');
  }

  #addressOf(socket: tls.TLSSocket | OffloadSocket): string {
    // Node keeps the wrapped TCP socket as `_parent`; after a failed handshake the TLS socket has
    // already lost its handle and its remoteAddress. An offloaded socket is the one admitted.
    const parent = (socket as unknown as { _parent?: net.Socket })._parent;
    return this.#o.gate.addressOf(parent ?? socket) ?? normalizeAddress(socket.remoteAddress);
  }

  #tlsFailure(socket: tls.TLSSocket | OffloadSocket, err: unknown, authorizationError: unknown): void {
    const f = classifyTlsFailure(err, authorizationError);
    const detail: Record<string, unknown> = {};
    if (f.errorCode) detail.errorCode = f.errorCode;
    if (f.verifyError) detail.verifyError = f.verifyError;
    this.#o.emit({
      code: f.reason === 'cert_revoked' ? 'VIGIL_ERR_CERT_REVOKED' : 'VIGIL_ERR_TLS_AUTH',
      reason: f.reason,
      address: this.#addressOf(socket),
      detail,
    });
    socket.destroy();
  }

  #secure(socket: tls.TLSSocket | OffloadSocket, authorized: boolean, fields: () => TlsPeerFields): void {
    const address = this.#addressOf(socket);
    socket.on('error', () => {}); // the guard / Aedes see errors through the guard
    if (this.#o.isClosing() || !authorized) {
      socket.destroy();
      return;
    }
    const peer = tlsPeer(fields());
    if (!peer.ok) {
      this.#o.emit({ code: 'VIGIL_ERR_IDENTITY', reason: peer.reason, address, detail: peer.detail });
      socket.destroy();
      return;
    }
    const { cn, serial } = peer;
    // A resumed TLS session skips chain verification, so the CRL may not have been consulted.
    if (this.#o.isRevoked(serial)) {
      this.#o.emit({ code: 'VIGIL_ERR_CERT_REVOKED', reason: 'cert_revoked', cn, address });
      socket.destroy();
      return;
    }
    this.#o.onPeer(socket, address, cn, serial);
  }
}
