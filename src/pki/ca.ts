import { CONFIG_DEFAULTS } from '../config/schema.ts';
import { VigilError } from '../errors.ts';
import { privateKeyToPem, toPem } from './pem.ts';
import { newSerial } from './serial.ts';
import { subjectName } from './subject.ts';
import type { CreatedCa } from './types.ts';
import { validityWindow } from './validity.ts';
import { EC_P256, ECDSA_SHA256, subtle, type WebCryptoKeyPair, x509 } from './x509.ts';

/** Options of {@link createCa}. */
export interface CreateCaOptions {
  /** Subject CN of the root. Default `Vigil Root CA`. */
  commonName?: string;
  /** Default `pki.caValidityDays` of the config schema (ten years). */
  validityDays?: number;
  now: Date;
}

/**
 * Creates the Vigil root CA: a self-signed ECDSA P-256 certificate that may sign end-entity
 * certificates and CRLs only (no intermediates).
 */
export async function createCa(opts: CreateCaOptions): Promise<CreatedCa> {
  const { commonName = 'Vigil Root CA', validityDays = CONFIG_DEFAULTS.pki.caValidityDays, now } = opts;
  if (typeof commonName !== 'string' || commonName.trim() === '' || commonName.length > 64) {
    // RFC 5280 Appendix A: ub-common-name 64
    throw new VigilError('VIGIL_ERR_PKI', 'CA common name must be 1..64 characters');
  }
  const { notBefore, notAfter } = validityWindow(now, validityDays);
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as WebCryptoKeyPair;
  const serial = newSerial();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name: subjectName(commonName),
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      // RFC 5280 §4.2.1.9: critical; pathLen 0 = this root signs end entities only.
      new x509.BasicConstraintsExtension(true, 0, true),
      // RFC 5280 §4.2.1.3: keyCertSign for certificates, cRLSign for the CRL the broker checks.
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      // RFC 5280 §4.2.1.2: method (1), SHA-1 of the subjectPublicKey.
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certPem: toPem(cert.rawData, 'CERTIFICATE'),
    keyPkcs8Pem: await privateKeyToPem(keys.privateKey),
    serial,
  };
}
