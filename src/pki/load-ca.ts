import { createPrivateKey, createPublicKey } from 'node:crypto';
import { VigilError } from '../errors.ts';
import { importSigningKey, parseCertPem } from './pem.ts';
import type { CaMaterial } from './types.ts';
import { type WebCryptoKey, x509 } from './x509.ts';

/** A CA ready to sign: parsed certificate, imported key and the values every issuance needs. */
export interface LoadedCa {
  cert: x509.X509Certificate;
  signingKey: WebCryptoKey;
  /** Hex subjectKeyIdentifier of the CA, used as authorityKeyIdentifier (RFC 5280 §4.2.1.1). */
  keyId: string;
  notAfter: number;
}

// Parsing, key import and the key/certificate match check cost more than signing a leaf, so the
// result is memoised per CA object. The WeakMap lets it go with the object; the PEM strings are
// compared so that a mutated object is reloaded rather than signing with a stale key.
const cache = new WeakMap<CaMaterial, { certPem: string; keyPkcs8Pem: string; loaded: Promise<LoadedCa> }>();

/** Loads (once per CA object) and checks the CA: a CA certificate whose public key matches the private key. */
export function loadCa(ca: CaMaterial): Promise<LoadedCa> {
  if (!ca || typeof ca.certPem !== 'string' || typeof ca.keyPkcs8Pem !== 'string') {
    return Promise.reject(new VigilError('VIGIL_ERR_PKI', 'ca must be { certPem, keyPkcs8Pem }'));
  }
  const hit = cache.get(ca);
  if (hit && hit.certPem === ca.certPem && hit.keyPkcs8Pem === ca.keyPkcs8Pem) return hit.loaded;
  const loaded = load(ca.certPem, ca.keyPkcs8Pem);
  cache.set(ca, { certPem: ca.certPem, keyPkcs8Pem: ca.keyPkcs8Pem, loaded });
  loaded.catch(() => cache.delete(ca));
  return loaded;
}

async function load(certPem: string, keyPem: string): Promise<LoadedCa> {
  const nodeCert = parseCertPem(certPem);
  if (!nodeCert.ca) throw new VigilError('VIGIL_ERR_PKI', 'ca certificate is not a CA (basicConstraints)');
  let matches = false;
  try {
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    matches = fromKey.equals(nodeCert.publicKey.export({ type: 'spki', format: 'der' }));
  } catch (cause) {
    throw new VigilError('VIGIL_ERR_PKI', 'CA key cannot be read', { cause });
  }
  if (!matches) throw new VigilError('VIGIL_ERR_PKI', 'CA key does not match the CA certificate');
  const signingKey = await importSigningKey(keyPem);
  const cert = new x509.X509Certificate(nodeCert.raw);
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId = ski ? ski.keyId : (await x509.SubjectKeyIdentifierExtension.create(cert.publicKey)).keyId;
  return { cert, signingKey, keyId, notAfter: cert.notAfter.getTime() };
}
