import type { JsonName } from '@peculiar/x509';
import { VigilError } from '../errors.ts';
import type { LoadedCa } from './load-ca.ts';
import { privateKeyToPem, toPem } from './pem.ts';
import { newSerial } from './serial.ts';
import type { IssuedCert } from './types.ts';
import { checkNow, validityWindow } from './validity.ts';
import { EC_P256, ECDSA_SHA256, subtle, type WebCryptoKey, type WebCryptoKeyPair, x509 } from './x509.ts';

/** What differs between leaf profiles; the rest (CA:false, AKI, SKI, validity, serial) is common. */
export interface LeafProfile {
  subject: JsonName;
  /** Extensions specific to the profile (keyUsage, EKU, SAN). */
  extensions: x509.Extension[];
  validityDays: number;
  now: Date;
  /** A public key from a verified CSR; when absent a P-256 key pair is generated. */
  publicKey?: x509.PublicKey;
}

/** Signs an end-entity certificate with the CA. */
export async function signLeaf(ca: LoadedCa, profile: LeafProfile): Promise<IssuedCert> {
  if (checkNow(profile.now) > ca.notAfter)
    throw new VigilError('VIGIL_ERR_PKI', 'the CA certificate has expired');
  const { notBefore, notAfter } = validityWindow(profile.now, profile.validityDays, ca.notAfter);
  let keys: WebCryptoKeyPair | undefined;
  let publicKey: x509.PublicKey | WebCryptoKey;
  if (profile.publicKey) {
    publicKey = profile.publicKey;
  } else {
    keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as WebCryptoKeyPair;
    publicKey = keys.publicKey;
  }
  const serial = newSerial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    // The issuer is copied from the CA's subject as parsed, so the DER bytes match exactly
    // (RFC 5280 §7.1 name chaining).
    issuer: ca.cert.subjectName,
    subject: profile.subject,
    notBefore,
    notAfter,
    publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      ...profile.extensions,
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      new x509.AuthorityKeyIdentifierExtension(ca.keyId),
    ],
  });
  return {
    certPem: toPem(cert.rawData, 'CERTIFICATE'),
    keyPkcs8Pem: keys ? await privateKeyToPem(keys.privateKey) : undefined,
    serial,
    notBefore: notBefore.getTime(),
    notAfter: notAfter.getTime(),
  };
}
