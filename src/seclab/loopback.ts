import { isIP } from 'node:net';
import { VigilError } from '../errors.ts';

/** Listen addresses that include the loopback interface (the wildcard ones listen on every interface). */
const WILDCARD = new Set(['::', '0.0.0.0', '']);

/** True for 127.0.0.0/8, ::1, ::ffff:127.x.y.z and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * Seclab attacks loopback targets only: an installation listening on a loopback address or on the
 * wildcard (then reached through 127.0.0.1). Anything else (a LAN address, a remote external
 * broker) is refused before a single packet is sent, so the tool cannot be aimed at another host.
 */
export function assertLoopbackTarget(what: string, host: string): void {
  if (WILDCARD.has(host) || isLoopbackHost(host)) return;
  throw new VigilError(
    'VIGIL_ERR_USAGE',
    `seclab attacks loopback targets only: ${what} is ${host}, not a loopback address ` +
      '(127.0.0.0/8, ::1, localhost). Run seclab on the machine itself against a loopback listener.',
  );
}
