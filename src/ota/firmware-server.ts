import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { FdBudget } from '../net/fd-budget.ts';
import { guardHttpsServer, type HttpsGuard } from '../net/https-guard.ts';
import { normalizeSerial } from '../pki/index.ts';
import { TLS_SERVER_OPTIONS } from '../pki/tls-policy.ts';
import type { Store } from '../storage/store.ts';
import type { FirmwareService } from './firmware-service.ts';

export interface FirmwareServerOptions {
  tls: { cert: string; key: string; ca: string; crl: string };
  store: Store;
  firmware: FirmwareService;
  logger: Logger;
  host: string;
  port: number;
  /**
   * Connection admission (src/net/https-guard.ts): caps checked on the raw socket before any TLS
   * work, and a share of the process's descriptor budget (the HTTPS one: at most
   * `maxConnections` of it), so a flood on this port can neither starve MQTT nor take more than
   * its cap from the API.
   */
  limits: { maxConnections: number; maxConnectionsPerAddress: number; budget?: FdBudget | undefined };
  /** A connection refused by the caps (counted like the other listeners' refusals). */
  onRefuse?: (reason: string, address: string) => void;
}

/** `bytes=START-` or `bytes=START-END` (RFC 9110 §14.1.2), one range only. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'invalid' | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d{1,10})-(\d{0,10})$/.exec(header.trim());
  if (!m) return 'invalid';
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'invalid';
  return { start, end };
}

/**
 * The firmware download listener (docs/ota.md): HTTPS where the handshake itself demands a client
 * certificate from the Vigil CA that is not on the CRL, then only an enabled device whose
 * profile matches the image may fetch it, whole or by Range (so an interrupted download resumes).
 */
export class FirmwareServer {
  readonly #o: FirmwareServerOptions;
  readonly #server: Server;
  readonly #guard: HttpsGuard;

  constructor(o: FirmwareServerOptions) {
    this.#o = o;
    this.#server = createServer(
      {
        ...TLS_SERVER_OPTIONS,
        cert: o.tls.cert,
        key: o.tls.key,
        ca: o.tls.ca,
        crl: o.tls.crl,
        requestCert: true,
        rejectUnauthorized: true,
        handshakeTimeout: 10_000,
      },
      (req, res) =>
        void this.#handle(req, res).catch((err) => {
          o.logger.error({ err }, 'firmware download failed');
          if (!res.headersSent) res.writeHead(500).end();
          else res.destroy();
        }),
    );
    this.#server.requestTimeout = 30_000;
    this.#server.headersTimeout = 10_000;
    this.#guard = guardHttpsServer(this.#server, {
      maxConnections: o.limits.maxConnections,
      maxConnectionsPerAddress: o.limits.maxConnectionsPerAddress,
      firstRequestTimeoutMs: 10_000,
      budget: o.limits.budget,
      ...(o.onRefuse ? { onRefuse: o.onRefuse } : {}),
      onAcceptError: (err) => o.logger.warn({ err }, 'firmware listener out of descriptors'),
      onError: (err) => o.logger.error({ err }, 'firmware listener error'),
    });
  }

  /** Connections open now (TLS handshake, idle or downloading). */
  get connections(): number {
    return this.#guard.stats().connections;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port, this.#o.host, () => {
        this.#server.off('error', reject);
        resolve((this.#server.address() as { port: number }).port);
      });
    });
  }

  /** New server certificate, trust anchors or CRL, for new connections. */
  updateTls(tls: Partial<FirmwareServerOptions['tls']>): void {
    Object.assign(this.#o.tls, tls);
    this.#server.setSecureContext({ ...TLS_SERVER_OPTIONS, ...this.#o.tls });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#guard.closeIdle();
      this.#server.closeAllConnections();
      this.#guard.destroyAll();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const deny = (status: number, why: string) => {
      this.#o.logger.info({ status, why, url: req.url?.split('?')[0] }, 'firmware download refused');
      res
        .writeHead(status, { 'content-type': 'text/plain' })
        .end(`${status === 404 ? 'not found' : 'refused'}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(405, 'method');
    const m = /^\/firmware\/(\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(req.url ?? '');
    if (!m) return deny(404, 'path');
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const cn = typeof peer.subject?.CN === 'string' ? peer.subject.CN : '';
    const cert = peer.serialNumber
      ? await this.#o.store.getCertificate(normalizeSerial(peer.serialNumber))
      : null;
    if (cert?.kind !== 'device' || cert.subject !== cn || cert.revokedAt !== null)
      return deny(403, 'not a device certificate');
    const device = await this.#o.store.getDevice(cn);
    if (device?.status !== 'enabled') return deny(403, 'device not enabled');
    const found = await this.#o.firmware.image(m[1] as string);
    if (!found) return deny(404, 'version');
    if (found.record.profile !== device.profile) return deny(403, 'profile');
    const { size } = found;
    const range = parseRange(req.headers.range, size);
    if (range === 'invalid') {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    res.writeHead(range ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(end - start + 1),
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // A read that fails midway (the image removed, or failing its integrity check on PostgreSQL)
    // ends the connection: the device sees a short body and resumes or reports it.
    await pipeline(Readable.from(found.read(start, end)), res).catch((err: NodeJS.ErrnoException) => {
      // The device went away mid-download: it resumes with a Range request, nothing failed here.
      if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
    });
  }
}
