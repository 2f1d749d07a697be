import { CONFIG_DEFAULTS } from '../config/schema.ts';
import { loadCa } from './load-ca.ts';
import { checkClientName, serverDnsNames, serverIps } from './names.ts';
import { signLeaf } from './sign-leaf.ts';
import { subjectName } from './subject.ts';
import type { CaMaterial, IssuedCert } from './types.ts';
import { x509 } from './x509.ts';

/**
 * The extended key usage that marks a Vigil gateway certificate (docs/gateway.md). An OID under
 * `2.25` (ITU-T X.667: a UUID as an OID, no registration needed) so it can never collide with a
 * registered purpose. Vigil still authorises a gateway by its serial in the gateway registry;
 * the EKU makes the certificate's role visible to anyone who inspects it.
 */
export const VIGIL_GATEWAY_EKU = '2.25.178573214036372546232580409513394425187';

/** OU of a gateway certificate's subject. */
export const GATEWAY_UNIT = 'gateway';

/** Options of {@link issueGatewayCert}. */
export interface IssueGatewayCertOptions {
  ca: CaMaterial;
  /** The gateway id: the subject CN and the MQTT client id upstream. */
  gatewayId: string;
  /** Names the site's devices reach the gateway's listener by; loopback is always added. */
  hostNames?: string[];
  ips?: string[];
  /** Default `pki.deviceValidityDays`. */
  validityDays?: number;
  now: Date;
}

/**
 * Issues a gateway certificate: `O=Vigil, OU=gateway, CN=<id>`; client authentication (its one
 * upstream connection), server authentication (its local listener for the site's devices, with
 * the SANs given) and the Vigil gateway EKU.
 */
export async function issueGatewayCert(opts: IssueGatewayCertOptions): Promise<IssuedCert> {
  const { ca, gatewayId, validityDays = CONFIG_DEFAULTS.pki.deviceValidityDays, now } = opts;
  checkClientName(gatewayId, 'service');
  const dns = serverDnsNames(opts.hostNames ?? []);
  const ips = serverIps(opts.ips ?? []);
  const loaded = await loadCa(ca);
  return signLeaf(loaded, {
    subject: subjectName(gatewayId, GATEWAY_UNIT),
    validityDays,
    now,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.clientAuth,
        x509.ExtendedKeyUsage.serverAuth,
        VIGIL_GATEWAY_EKU,
      ]),
      new x509.SubjectAlternativeNameExtension([
        ...dns.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
    ],
  });
}
