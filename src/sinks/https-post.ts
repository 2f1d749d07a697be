import { request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { TLS_MIN_VERSION } from '../pki/tls-policy.ts';
import { SinkError } from './sink.ts';

/** How much of an answer's body is kept (for the error shown on the system page). */
const BODY_MAX = 2048;

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** At most 2 KiB of the body. */
  body: string;
}

export interface PostOptions {
  headers: Record<string, string>;
  body: string | Buffer;
  /** Trusted CAs (PEM). Default: the system's roots. */
  ca?: readonly string[] | undefined;
  signal: AbortSignal;
}

/** The system's roots plus an extra CA, for targets with a public or a private certificate. */
export function systemRootsAnd(extraPem: string | undefined): string[] {
  return extraPem ? [...rootCertificates, extraPem] : [...rootCertificates];
}

/**
 * One HTTPS POST: certificate verified against `ca`, TLS 1.2 or later, no redirect followed (it
 * would carry the credentials elsewhere), the answer's body cut at 2 KiB. Network and TLS
 * failures and an abort reject with VIGIL_ERR_SINK_UNAVAILABLE; any HTTP status resolves.
 */
export function postHttps(url: string, o: PostOptions): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'https:') {
      reject(new SinkError('VIGIL_ERR_SINK_REFUSED', 'only https:// targets are used'));
      return;
    }
    if (o.signal.aborted) {
      reject(new SinkError('VIGIL_ERR_SINK_UNAVAILABLE', 'aborted'));
      return;
    }
    const req = request(u, {
      method: 'POST',
      headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) },
      ca: o.ca ? [...o.ca] : [...rootCertificates],
      minVersion: TLS_MIN_VERSION,
      signal: o.signal,
      // One connection per delivery: a sink sends at most a few requests a second.
      agent: false,
    });
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
      res.on('error', (err) => reject(unavailable(err, o.signal)));
    });
    req.on('error', (err) => reject(unavailable(err, o.signal)));
    req.end(o.body);
  });
}

function unavailable(err: Error, signal: AbortSignal): SinkError {
  const why = signal.aborted ? String(signal.reason?.message ?? 'aborted') : (err.message ?? String(err));
  return new SinkError('VIGIL_ERR_SINK_UNAVAILABLE', why.slice(0, 300), { cause: err });
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

/**
 * Turns an answer that is not a success into the sink's error: statuses worth retrying, and
 * those that mean the target or its credentials are not ready (401, 403, 404), keep the batch;
 * any other 4xx refuses it for good.
 */
export function answerError(what: string, a: HttpsAnswer, now: number): SinkError {
  const detail = `${what} answered ${a.status}${a.body ? `: ${a.body.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
  if (retryableStatus(a.status) || a.status === 401 || a.status === 403 || a.status === 404 || a.status < 200)
    return new SinkError('VIGIL_ERR_SINK_UNAVAILABLE', detail, {
      retryAfterMs: retryAfterMs(a.headers['retry-after'], now),
    });
  return new SinkError('VIGIL_ERR_SINK_REFUSED', detail);
}
