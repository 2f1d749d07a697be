import net from 'node:net';
import tls from 'node:tls';

/** Hard ceiling on what one flood starts, whatever its duration (every loop is bounded). */
export const MAX_ATTEMPTS = 200_000;

/**
 * Runs `once` with up to `concurrency` calls in flight until `durationMs` passed, `signal` aborted
 * or {@link MAX_ATTEMPTS} were started. Each call's failure is its outcome, never an exception.
 */
export async function flood(
  o: { durationMs: number; concurrency: number; signal: AbortSignal },
  once: (i: number) => Promise<void>,
): Promise<number> {
  const end = Date.now() + o.durationMs;
  let started = 0;
  const lane = async () => {
    while (Date.now() < end && !o.signal.aborted && started < MAX_ATTEMPTS) {
      const i = started++;
      await once(i).catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  return started;
}

/** Counts by outcome, for a flood's `attack` figures. */
export class Tally {
  readonly counts: Record<string, number> = {};
  add(what: string, n = 1): void {
    this.counts[what] = (this.counts[what] ?? 0) + n;
  }
  get(what: string): number {
    return this.counts[what] ?? 0;
  }
}

/** How a raw connection ended: refused at once, closed by the server, or still open at `until`. */
export type SocketEnd = 'refused' | 'closed-by-server' | 'open' | 'error';

/** Opens a TCP connection from `localAddress`; resolves with the socket once connected. */
export function tcpConnect(port: number, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** A TLS client from `localAddress` (no client certificate unless given); resolves when secure. */
export function tlsConnect(
  port: number,
  localAddress: string,
  o: tls.ConnectionOptions = {},
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    // localAddress reaches net.connect underneath (not in the TLS option types).
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      localAddress,
      servername: 'localhost',
      rejectUnauthorized: false,
      ...o,
    } as tls.ConnectionOptions);
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
    s.setTimeout(15_000, () => s.destroy(new Error('timeout')));
  });
}

/** Resolves when `s` closes, or after `ms` with false. */
export function closed(s: net.Socket, ms: number): Promise<boolean> {
  if (s.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}
