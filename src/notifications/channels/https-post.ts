import { request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { TLS_MIN_VERSION } from '../../pki/tls-policy.ts';

/** The roots a provider's certificate is checked against: the system's, plus one extra CA. */
export function trustedCas(extraPem: string | undefined): string[] {
  return extraPem ? [...rootCertificates, extraPem] : [...rootCertificates];
}

export interface HttpsAnswer {
  status: number;
  /** At most 4 KiB of the body. */
  body: string;
}

const BODY_MAX = 4096;

/**
 * One HTTPS POST with a deadline: TLS verified (system roots plus `caPem`), no redirects followed
 * (a redirect would carry the credential elsewhere), the answer's body cut at 4 KiB.
 */
export function postHttps(
  url: string,
  o: {
    headers: Record<string, string>;
    body: string | Buffer;
    caPem?: string | undefined;
    timeoutMs: number;
  },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'https:') return reject(new Error('only https:// URLs are used'));
    const req = request(
      u,
      {
        method: 'POST',
        headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) },
        ca: trustedCas(o.caPem),
        minVersion: TLS_MIN_VERSION,
        timeout: o.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < BODY_MAX) chunks.push(c);
          size += c.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8').slice(0, BODY_MAX),
          }),
        );
        res.on('error', reject);
      },
    );
    const deadline = setTimeout(
      () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)),
      o.timeoutMs,
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', (e) => {
      clearTimeout(deadline);
      reject(e);
    });
    req.on('close', () => clearTimeout(deadline));
    req.end(o.body);
  });
}

/** HTTP statuses worth retrying: throttling and server-side trouble (RFC 9110 §15.6, RFC 6585 §4). */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
