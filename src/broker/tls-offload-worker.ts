/**
 * A TLS offload worker of the embedded broker (tls-offload-pool.ts starts it). It listens on the
 * MQTT port with SO_REUSEPORT beside its siblings (the kernel spreads connections), asks the main
 * thread to admit each TCP connection (the connection caps live there), runs the TLS handshake
 * with the broker's secure context and relays the plaintext both ways in per-turn batches
 * (tls-offload-protocol.ts). MQTT and every broker rule stay on the main thread.
 */
import net from 'node:net';
import tls from 'node:tls';
import { parentPort, workerData } from 'node:worker_threads';
import { swapSecureContext } from './server-tls.ts';
import {
  type MainControl,
  type OffloadBatch,
  OffloadBatcher,
  type OffloadEvent,
  type OffloadWorkerData,
  OP,
  type WorkerControl,
} from './tls-offload-protocol.ts';

if (!parentPort) throw new Error('tls-offload-worker.ts runs as a worker thread');
const port = parentPort;
const data = workerData as OffloadWorkerData;
const post = (msg: WorkerControl, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);
const out = new OffloadBatcher(post);

interface Conn {
  id: number;
  raw: net.Socket;
  tls?: tls.TLSSocket;
  /** Beyond the write bound (OP.BLOCKED sent, OP.DRAINED not yet). */
  blocked: boolean;
  corked: boolean;
}
const conns = new Map<number, Conn>();
const idOf = new WeakMap<net.Socket, number>();
let nextId = 1;
let closing = false;
/** How long a connection the broker closed may take to flush what it was sent before that. */
const FLUSH_ON_CLOSE_MS = 1_000;

const tlsServer = tls.createServer({
  ...data.secure,
  requestCert: true,
  rejectUnauthorized: true,
  handshakeTimeout: data.handshakeTimeoutMs,
  ticketKeys: Buffer.from(data.ticketKeys),
});
tlsServer.on('secureConnection', onSecure);
tlsServer.on('tlsClientError', (err: Error & { code?: string }, socket: tls.TLSSocket) => {
  const id = idOfTls(socket);
  const why = socket.authorizationError as unknown;
  if (id !== undefined) out.event([OP.TLS_ERROR, id, err.code ?? null, typeof why === 'string' ? why : null]);
  socket.destroy();
});

// Like the in-process listener, this one never hands a plain-TCP stream to anything but TLS.
const server = net.createServer({ noDelay: true }, onTcp);
server.on('error', (err: Error & { code?: string }) => {
  if (!server.listening) post({ kind: 'listenError', code: err.code, message: err.message });
  else post({ kind: 'acceptError', code: err.code, message: err.message });
});
server.listen({ host: data.host, port: data.port, reusePort: true }, () => {
  post({ kind: 'listening', port: (server.address() as net.AddressInfo).port });
});

function idOfTls(socket: tls.TLSSocket): number | undefined {
  // Node keeps the wrapped TCP socket as `_parent` (as embedded-broker.ts reads it).
  const parent = (socket as unknown as { _parent?: net.Socket })._parent;
  return parent ? idOf.get(parent) : undefined;
}

function onTcp(raw: net.Socket): void {
  raw.on('error', () => {}); // the handshake's failure is reported through tlsClientError
  if (closing) {
    raw.destroy();
    return;
  }
  const id = nextId++;
  conns.set(id, { id, raw, blocked: false, corked: false });
  idOf.set(raw, id);
  // Before the handshake completes, Node reports its failure ('tlsClientError') only as the TLS
  // socket closes, which can come after the TCP socket's 'close': wait one turn so the main
  // thread hears the failure (with its address) before the close.
  raw.once('close', () => {
    if (conns.get(id)?.tls) gone(id);
    else setImmediate(() => gone(id));
  });
  out.event([OP.ACCEPT, id, raw.remoteAddress ?? '']);
}

/** Frees a connection once, whichever of its sockets closes first, and tells the main thread. */
function gone(id: number): void {
  const c = conns.get(id);
  if (!c) return;
  conns.delete(id);
  // Like a socket the broker destroys on this thread: what was written is handed to the kernel.
  (c.tls ?? c.raw).destroy();
  out.event([OP.CLOSE, id]);
}

function onSecure(socket: tls.TLSSocket): void {
  const id = idOfTls(socket);
  const c = id === undefined ? undefined : conns.get(id);
  if (id === undefined || !c) {
    socket.destroy();
    return;
  }
  c.tls = socket;
  socket.on('error', () => {}); // a reset ends in 'close', which is relayed
  socket.once('close', () => gone(id));
  const cert = socket.getPeerCertificate();
  out.event([OP.SECURE, id, socket.authorized, cert?.subject?.CN as unknown, cert?.serialNumber ?? null]);
  socket.on('data', (chunk: Buffer) => out.data(id, chunk));
  socket.on('end', () => out.event([OP.END, id]));
}

function onMain(ev: OffloadEvent, buf: Buffer | null): void {
  const c = conns.get(ev[1]);
  if (!c) return; // already closed here; its OP.CLOSE is on its way
  switch (ev[0]) {
    case OP.ADMIT:
      if (!c.raw.destroyed) tlsServer.emit('connection', c.raw);
      return;
    case OP.DATA:
      if (buf) write(c, buf.subarray(ev[2], ev[2] + ev[3]));
      return;
    case OP.END:
      (c.tls ?? c.raw).end();
      return;
    case OP.CLOSE:
      closeFromMain(ev[1], c);
      return;
    case OP.PAUSE:
      c.tls?.pause();
      return;
    case OP.RESUME:
      c.tls?.resume();
      return;
  }
}

/**
 * The broker destroyed the connection. On its own thread, what it wrote just before (a refusing
 * CONNACK, say) is already in the kernel; here the bytes may still be queued in this TLS socket, so
 * they are flushed first (bounded in time), then the socket goes.
 */
function closeFromMain(id: number, c: Conn): void {
  const s = c.tls;
  if (!s || s.destroyed || s.writableLength === 0) {
    gone(id);
    return;
  }
  const timer = setTimeout(() => gone(id), FLUSH_ON_CLOSE_MS);
  s.once('finish', () => {
    clearTimeout(timer);
    gone(id);
  });
  s.end();
}

/** Connections written to in the batch being applied: corked until its end (see onBatch). */
const corked: Conn[] = [];

function write(c: Conn, bytes: Buffer): void {
  const s = c.tls;
  if (!s || s.destroyed) return;
  if (!c.corked) {
    c.corked = true;
    s.cork();
    corked.push(c);
  }
  s.write(bytes);
}

/**
 * Applies one batch from the main thread. Every connection written to is corked for the batch,
 * so what the broker wrote to it in one turn (a PUBACK comes as several small writes; a turn
 * often holds several PUBACKs) leaves as one TLS record and one socket write, not one per chunk.
 */
function onBatch(msg: OffloadBatch): void {
  const buf = msg.buf ? Buffer.from(msg.buf) : null;
  for (const ev of msg.ev) onMain(ev, buf);
  for (const c of corked.splice(0)) {
    c.corked = false;
    const s = c.tls!;
    s.uncork();
    // The main side holds its writer back while this socket's queue is beyond the bound, as the
    // in-process socket does (write() returning false, then 'drain').
    if (!c.blocked && !s.destroyed && s.writableLength > data.writeBound) {
      c.blocked = true;
      out.event([OP.BLOCKED, c.id]);
      s.once('drain', () => {
        c.blocked = false;
        if (conns.has(c.id)) out.event([OP.DRAINED, c.id]);
      });
    }
  }
}

port.on('message', (msg: MainControl) => {
  if (msg.kind === 'batch') {
    onBatch(msg);
    return;
  }
  if (msg.kind === 'context') {
    // Checked on the main thread before it was sent. Should it fail here all the same, the error
    // ends this worker (never a stale CRL on a live listener): the pool logs it and restarts the
    // worker with the current context.
    swapSecureContext(tlsServer, msg.options);
    return;
  }
  closing = true;
  server.close();
  for (const id of [...conns.keys()]) gone(id);
  out.flush();
  port.close();
});
