import { CONFIG_DEFAULTS } from '../config/schema.ts';
import { VigilError } from '../errors.ts';
import { csrPublicKey } from './csr.ts';
import { loadCa } from './load-ca.ts';
import { checkClientName } from './names.ts';
import { signLeaf } from './sign-leaf.ts';
import { subjectName } from './subject.ts';
import type { CaMaterial, ClientKind, IssuedCert } from './types.ts';
import { x509 } from './x509.ts';

/** Options of {@link issueClientCert}. */
export interface IssueClientCertOptions {
  ca: CaMaterial;
  /** The device id or service name; becomes the subject CN (and, for devices, the MQTT client id). */
  commonName: string;
  kind: ClientKind;
  /** Default `pki.deviceValidityDays` of the config schema. */
  validityDays?: number;
  now: Date;
  /**
   * PKCS#10 request in PEM. When given, its signature is verified and its public key certified,
   * so a device can keep its private key in a secure element; `keyPkcs8Pem` is then undefined.
   */
  csrPem?: string;
}

/**
 * Issues an mTLS client certificate for a device or a backend service. The subject is
 * `O=Vigil, OU=<kind>, CN=<commonName>`.
 */
export async function issueClientCert(opts: IssueClientCertOptions): Promise<IssuedCert> {
  const { ca, commonName, kind, validityDays = CONFIG_DEFAULTS.pki.deviceValidityDays, now, csrPem } = opts;
  if (kind !== 'device' && kind !== 'service' && kind !== 'claim') {
    throw new VigilError('VIGIL_ERR_PKI', "client certificate kind must be 'device', 'service' or 'claim'");
  }
  checkClientName(commonName, kind);
  const publicKey = csrPem === undefined ? undefined : await csrPublicKey(csrPem);
  const loaded = await loadCa(ca);
  return signLeaf(loaded, {
    subject: subjectName(commonName, kind),
    validityDays,
    now,
    ...(publicKey ? { publicKey } : {}),
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
}
