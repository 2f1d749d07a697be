import { CONFIG_DEFAULTS } from '../config/schema.ts';
import { loadCa } from './load-ca.ts';
import { serverDnsNames, serverIps } from './names.ts';
import { signLeaf } from './sign-leaf.ts';
import { subjectName } from './subject.ts';
import type { CaMaterial, IssuedCert } from './types.ts';
import { x509 } from './x509.ts';

/** CN of the broker / HTTPS server certificate. */
export const SERVER_CN = 'vigil-server';

/** Options of {@link issueServerCert}. */
export interface IssueServerCertOptions {
  ca: CaMaterial;
  /** DNS names; `localhost` is always added. */
  hostNames: string[];
  /** IP addresses; `127.0.0.1` and `::1` are always added. */
  ips: string[];
  /** Default `pki.serverValidityDays` (397 days, the CA/B Forum BR §6.3.2 ceiling browsers enforce). */
  validityDays?: number;
  now: Date;
}

/** Issues the TLS server certificate for the MQTT broker (8883) and the HTTPS API (8443). */
export async function issueServerCert(opts: IssueServerCertOptions): Promise<IssuedCert> {
  const { ca, hostNames, ips, validityDays = CONFIG_DEFAULTS.pki.serverValidityDays, now } = opts;
  const dns = serverDnsNames(hostNames ?? []);
  const ipList = serverIps(ips ?? []);
  const loaded = await loadCa(ca);
  return signLeaf(loaded, {
    subject: subjectName(SERVER_CN, 'server'),
    validityDays,
    now,
    extensions: [
      // RFC 5280 §4.2.1.3; ECDHE key exchange needs digitalSignature only.
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      // RFC 6125 §6.4.4: clients match the SAN, never the CN.
      new x509.SubjectAlternativeNameExtension([
        ...dns.map((value) => ({ type: 'dns' as const, value })),
        ...ipList.map((value) => ({ type: 'ip' as const, value })),
      ]),
    ],
  });
}
