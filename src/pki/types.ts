/**
 * The CA as loaded in memory: its certificate and its private key (PKCS#8 PEM, unencrypted).
 * At rest the key is sealed with `MasterKey.seal('ca-key', ...)` (see `sealed-ca.ts`).
 */
export interface CaMaterial {
  certPem: string;
  keyPkcs8Pem: string;
}

/** A freshly created root CA. */
export interface CreatedCa extends CaMaterial {
  /** Lowercase hex, no separators. */
  serial: string;
}

/** A certificate issued by the Vigil CA. */
export interface IssuedCert {
  certPem: string;
  /** PKCS#8 PEM of the generated key; undefined when the certificate was issued from a CSR. */
  keyPkcs8Pem: string | undefined;
  /** Lowercase hex, no separators; what the store and the CRL use. */
  serial: string;
  /** Milliseconds since the Unix epoch, whole seconds (X.509 times have second precision). */
  notBefore: number;
  notAfter: number;
}

/** Kind of client identity: a field device or a backend service (ingest worker, API, ...). */
export type ClientKind = 'device' | 'service' | 'claim';
