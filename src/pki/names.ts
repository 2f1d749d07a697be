import { isIPv4, isIPv6 } from 'node:net';
import { VigilError } from '../errors.ts';
import { DEVICE_ID_RULE, isDeviceId } from '../protocol/device-id.ts';
import type { ClientKind } from './types.ts';

/** The names every server certificate carries so that loopback clients can always connect. */
export const LOOPBACK_HOSTNAMES: readonly string[] = ['localhost'];
export const LOOPBACK_IPS: readonly string[] = ['127.0.0.1', '::1'];

/** Throws unless `name` is a valid device id / service name. */
export function checkClientName(name: string, kind: ClientKind): void {
  // Device ids (DESIGN §2) and backend service names share one rule.
  if (isDeviceId(name)) return;
  if (kind === 'device') throw new VigilError('VIGIL_ERR_DEVICE_ID', `device id ${DEVICE_ID_RULE}`);
  throw new VigilError('VIGIL_ERR_PKI', `service name ${DEVICE_ID_RULE}`);
}

// RFC 1123 §2.1 host names; one leading `*.` label allowed (RFC 6125 §6.4.3).
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME_RE = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);

/** Lowercased, validated DNS names, loopback included, duplicates removed, order kept. */
export function serverDnsNames(hostNames: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of [...LOOPBACK_HOSTNAMES, ...hostNames]) {
    const name = String(raw).trim().toLowerCase().replace(/\.$/, '');
    if (name.length > 253 || !HOSTNAME_RE.test(name)) {
      throw new VigilError(
        'VIGIL_ERR_PKI',
        `invalid host name for the server certificate: ${JSON.stringify(raw)}`,
      );
    }
    out.add(name);
  }
  return [...out];
}

/** Canonical, validated IP addresses, loopback included, duplicates removed, order kept. */
export function serverIps(ips: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of [...LOOPBACK_IPS, ...ips]) out.add(canonicalIp(String(raw).trim()));
  return [...out];
}

/**
 * IPv4 as dotted quad; IPv6 in RFC 5952 form (the WHATWG URL parser compresses it), so that
 * `::1` and `0:0:0:0:0:0:0:1` de-duplicate. Zone ids (`fe80::1%eth0`) cannot go in a SAN.
 */
function canonicalIp(ip: string): string {
  if (isIPv4(ip)) return ip;
  if (isIPv6(ip) && !ip.includes('%')) {
    const host = new URL(`http://[${ip}]/`).hostname;
    return host.slice(1, -1);
  }
  throw new VigilError(
    'VIGIL_ERR_PKI',
    `invalid IP address for the server certificate: ${JSON.stringify(ip)}`,
  );
}
