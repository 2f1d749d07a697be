import { createPublicKey } from 'node:crypto';
import { VigilError } from '../errors.ts';
import { firstPemBlock } from './pem.ts';
import { x509 } from './x509.ts';

// A P-256 CSR is well under 1 KiB; the bound keeps a hostile upload from reaching the ASN.1 parser.
const MAX_CSR_PEM = 16 * 1024;

/**
 * Public key of a PKCS#10 request (RFC 2986) after checking its self-signature, i.e. that the
 * requester holds the private key. Only ECDSA P-256 keys are accepted, like every Vigil key.
 * The CSR's subject and requested extensions are ignored: the CA decides both.
 */
export async function csrPublicKey(csrPem: string): Promise<x509.PublicKey> {
  if (typeof csrPem !== 'string' || csrPem.length > MAX_CSR_PEM) {
    throw new VigilError('VIGIL_ERR_PKI', 'CSR missing or too large');
  }
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(firstPemBlock(csrPem, 'CERTIFICATE REQUEST'));
  } catch (cause) {
    throw new VigilError('VIGIL_ERR_PKI', 'CSR cannot be parsed', { cause });
  }
  const spki = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  if (spki.asymmetricKeyType !== 'ec' || spki.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new VigilError('VIGIL_ERR_PKI', 'CSR key must be ECDSA P-256');
  }
  let valid = false;
  try {
    valid = await csr.verify();
  } catch (cause) {
    throw new VigilError('VIGIL_ERR_PKI', 'CSR signature cannot be checked', { cause });
  }
  if (!valid) throw new VigilError('VIGIL_ERR_PKI', 'CSR signature is invalid');
  return csr.publicKey;
}
