import type tls from 'node:tls';
import { normalizeSerial } from '../pki/serial.ts';
import { isValidIdentityName } from './acl.ts';

/** The identity a verified client certificate claims, or why it cannot be one. */
export type TlsPeer =
  | { ok: true; cn: string; serial: string }
  | { ok: false; reason: 'invalid_identity'; detail: { cn: string } };

/**
 * The CN and canonical serial of an authorised TLS peer. Exactly one CN, and a valid identity
 * name (DESIGN §2): several CNs arrive as an array and are refused.
 */
export function tlsPeer(socket: tls.TLSSocket): TlsPeer {
  const cert = socket.getPeerCertificate();
  const cn = cert?.subject?.CN as unknown;
  if (typeof cn !== 'string' || !isValidIdentityName(cn)) {
    return {
      ok: false,
      reason: 'invalid_identity',
      detail: { cn: typeof cn === 'string' ? cn.slice(0, 80) : typeof cn },
    };
  }
  return { ok: true, cn, serial: normalizeSerial(cert?.serialNumber ?? '') };
}
