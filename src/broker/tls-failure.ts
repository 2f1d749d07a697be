/** Why a TLS client was refused before MQTT started. */
export type TlsFailureReason =
  | 'no_client_cert'
  | 'unknown_ca'
  | 'cert_expired'
  | 'cert_revoked'
  | 'tls_protocol'
  | 'tls_other';

// X509_V_ERR_* names as Node reports them in `tlsSocket.authorizationError` (openssl x509_vfy.h).
const VERIFY_ERRORS: Record<string, TlsFailureReason> = {
  CERT_HAS_EXPIRED: 'cert_expired',
  CERT_NOT_YET_VALID: 'cert_expired',
  CERT_REVOKED: 'cert_revoked',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown_ca',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown_ca',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown_ca',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'unknown_ca',
  CERT_SIGNATURE_FAILURE: 'unknown_ca',
  CERT_UNTRUSTED: 'unknown_ca',
  // Node reports a missing peer certificate as UNABLE_TO_GET_ISSUER_CERT (see onServerSocketSecure
  // in lib/internal/tls/wrap.js); with our single-level CA it has no other cause.
  UNABLE_TO_GET_ISSUER_CERT: 'no_client_cert',
};

// OpenSSL reason codes as Node maps them to `err.code` (ERR_SSL_<REASON>).
const SSL_ERRORS: Record<string, TlsFailureReason> = {
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: 'no_client_cert',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'tls_protocol',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'tls_protocol',
  ERR_SSL_WRONG_VERSION_NUMBER: 'tls_protocol',
  ERR_SSL_VERSION_TOO_LOW: 'tls_protocol',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'tls_protocol',
  ERR_SSL_HTTP_REQUEST: 'tls_protocol',
  ERR_SSL_NO_SHARED_CIPHER: 'tls_protocol',
  ERR_SSL_UNKNOWN_PROTOCOL: 'tls_protocol',
};

/** What a `tlsClientError` says, as a short reason plus the raw OpenSSL/Node codes for the audit. */
export interface TlsFailure {
  reason: TlsFailureReason;
  /** `err.code` (e.g. ERR_SSL_UNSUPPORTED_PROTOCOL, ECONNRESET). */
  errorCode?: string;
  /** X509 verification error name (e.g. CERT_HAS_EXPIRED), when certificate verification failed. */
  verifyError?: string;
}

/**
 * Classifies a server-side TLS handshake failure. When Node refuses an unauthorised client it
 * destroys the socket without an error, so `tlsClientError` carries a bare ECONNRESET and the real
 * cause is in `authorizationError`; that is checked first.
 */
export function classifyTlsFailure(err: unknown, authorizationError?: unknown): TlsFailure {
  const errorCode =
    typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
      ? (err as { code: string }).code
      : undefined;
  const out: TlsFailure = { reason: 'tls_other' };
  if (errorCode) out.errorCode = errorCode;
  if (typeof authorizationError === 'string' && authorizationError) {
    out.verifyError = authorizationError;
    out.reason = VERIFY_ERRORS[authorizationError] ?? 'tls_other';
    return out;
  }
  if (errorCode) out.reason = SSL_ERRORS[errorCode] ?? 'tls_other';
  return out;
}
