import type tls from 'node:tls';
import { normalizeSerial } from '../pki/serial.ts';
import { isValidIdentityName } from './acl.ts';

/** The identity a verified client certificate claims, or why it cannot be one. */
export type TlsPeer =
  | { ok: true; cn: string; serial: string }
  | { ok: false; reason: 'invalid_identity'; detail: { cn: string } };

/**
 * The parts of a peer certificate the broker reads, as plain fields (what a TLS offload worker
 * sends over its MessagePort): the subject CN as Node reports it (a string, or an array when the
 * subject holds several) and the serial number (hex, as `getPeerCertificate().serialNumber`).
 */
export interface TlsPeerFields {
  cn: unknown;
  serialNumber: string | undefined;
}

/** The fields of a TLS socket's peer certificate. */
export function tlsPeerFields(socket: tls.TLSSocket): TlsPeerFields {
  const cert = socket.getPeerCertificate();
  return { cn: cert?.subject?.CN as unknown, serialNumber: cert?.serialNumber };
}

/**
 * The CN and canonical serial of an authorised TLS peer. Exactly one CN, and a valid identity
 * name (DESIGN §2): several CNs arrive as an array and are refused.
 */
export function tlsPeer(peer: TlsPeerFields): TlsPeer {
  const { cn } = peer;
  if (typeof cn !== 'string' || !isValidIdentityName(cn)) {
    return {
      ok: false,
      reason: 'invalid_identity',
      detail: { cn: typeof cn === 'string' ? cn.slice(0, 80) : typeof cn },
    };
  }
  return { ok: true, cn, serial: normalizeSerial(peer.serialNumber ?? '') };
}
