import { constants } from 'node:crypto';
import type tls from 'node:tls';

/**
 * TLS 1.3 suites and, for TLS 1.2, forward-secret AEAD suites only (ECDHE + GCM/ChaCha20);
 * RFC 9325 §4.2. Shared by the MQTT and HTTPS listeners.
 */
export const TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

/**
 * The protocol part of every Vigil server TLS context: TLS >= 1.2, the suites above, and no
 * renegotiation. Node limits client-initiated TLS 1.2 renegotiation to 3 per 10 minutes
 * (`tls.CLIENT_RENEG_LIMIT`), which still lets one connection make the server redo a full
 * handshake; `SSL_OP_NO_RENEGOTIATION` refuses every renegotiation request (the peer gets a
 * no_renegotiation alert and the connection fails). TLS 1.3 has no renegotiation at all (RFC 8446 §4.1.2).
 */
export function serverTlsPolicy(): Pick<
  tls.SecureContextOptions,
  'minVersion' | 'ciphers' | 'honorCipherOrder' | 'secureOptions'
> {
  return {
    minVersion: 'TLSv1.2',
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  };
}
