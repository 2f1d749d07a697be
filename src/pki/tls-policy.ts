import { constants } from 'node:crypto';

/**
 * Vigil's one TLS policy, for every listener it runs (the HTTPS API, the embedded MQTT broker) and
 * the Mosquitto configuration it writes: TLS 1.2 minimum, 1.3 preferred; TLS 1.3 suites (all AEAD)
 * and, for TLS 1.2, forward-secret AEAD suites only, ECDHE with AES-GCM or ChaCha20-Poly1305
 * (RFC 9325 §4.2; docs/protocol.md §1). Server preference order: strongest first.
 */

/** Lowest protocol version a Vigil server accepts. */
export const TLS_MIN_VERSION = 'TLSv1.2';

/** TLS 1.3 suites, in server preference order. */
export const TLS13_SUITES = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
];

/** TLS 1.2 suites for the P-256 (ECDSA) keys Vigil issues, in server preference order. */
export const TLS12_ECDSA_SUITES = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
];

/** The same for an RSA server key (a certificate from another CA in front of the API). */
export const TLS12_RSA_SUITES = [
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
];

/**
 * The options a Node TLS server takes (`tls.createServer`, `https.createServer`), for both ports.
 * No renegotiation: Node limits client-initiated TLS 1.2 renegotiation to 3 per 10 minutes
 * (`tls.CLIENT_RENEG_LIMIT`), which still lets one connection make the server redo a full
 * handshake; `SSL_OP_NO_RENEGOTIATION` refuses every renegotiation request (the peer gets a
 * no_renegotiation alert and the connection fails). TLS 1.3 has no renegotiation at all
 * (RFC 8446 §4.1.2).
 */
export const TLS_SERVER_OPTIONS = {
  minVersion: TLS_MIN_VERSION,
  ciphers: [...TLS13_SUITES, ...TLS12_ECDSA_SUITES, ...TLS12_RSA_SUITES].join(':'),
  honorCipherOrder: true,
  secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
} as const;

/**
 * Mosquitto's `ciphers` line (TLS 1.2 only: Mosquitto keeps its TLS 1.3 suites at the default,
 * all AEAD). Its server key is Vigil's P-256 key, so the ECDSA suites.
 */
export const MOSQUITTO_TLS12_CIPHERS = TLS12_ECDSA_SUITES.join(':');
