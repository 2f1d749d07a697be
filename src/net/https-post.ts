/**
 * Vigil's one outbound HTTPS client, for the targets an operator configured: the sinks (InfluxDB,
 * webhooks, ThingSpeak) and the notification channels (SMS/voice providers, webhooks).
 */
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { TLS_MIN_VERSION } from '../pki/tls-policy.ts';

/** How much of an answer's body is kept (for provider responses and errors shown to operators). */
const BODY_MAX = 4096;

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** At most 4 KiB of the body. */
  body: string;
}

export interface HttpsPostOptions {
  headers: Record<string, string>;
  body: string | Buffer;
  /** Trusted CAs (PEM). Default: the system's roots. */
  ca?: readonly string[] | undefined;
  /** Aborts the request (the caller's deadline). */
  signal?: AbortSignal | undefined;
  /** A deadline of its own: no complete answer within it rejects. */
  timeoutMs?: number | undefined;
}

/** The system's roots plus an extra CA, for targets with a public or a private certificate. */
export function trustedCas(extraPem: string | undefined): string[] {
  return extraPem ? [...rootCertificates, extraPem] : [...rootCertificates];
}

/**
 * One HTTPS POST: certificate verified against `ca`, TLS 1.2 or later, no redirect followed (it
 * would carry the credentials elsewhere), one connection of its own (no keep-alive socket
 * outlives it), the answer's body cut at 4 KiB. A URL that is not https://, network and TLS
 * failures, an abort and the deadline reject; any HTTP status resolves.
 */
export function postHttps(url: string, o: HttpsPostOptions): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'https:') return reject(new Error('only https:// URLs are used'));
    const req = request(u, {
      method: 'POST',
      headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) },
      ca: o.ca ? [...o.ca] : [...rootCertificates],
      minVersion: TLS_MIN_VERSION,
      ...(o.signal ? { signal: o.signal } : {}),
      agent: false,
    });
    const late = () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`));
    const deadline = o.timeoutMs === undefined ? undefined : setTimeout(late, o.timeoutMs);
    if (o.timeoutMs !== undefined) req.setTimeout(o.timeoutMs, late);
    req.on('close', () => clearTimeout(deadline));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < BODY_MAX) chunks.push(c);
        size += c.length;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8').slice(0, BODY_MAX),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** HTTP statuses worth retrying: throttling and server trouble (RFC 9110 §15.5.9, §15.6; RFC 6585 §4). */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** `Retry-After` in ms (delta-seconds or an HTTP date, RFC 9110 §10.2.3), capped at one hour. */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return undefined;
  const ms = /^\d+$/.test(v.trim()) ? Number(v.trim()) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 3_600_000) : undefined;
}
