import type { BrokerIdentity } from '../broker/acl.ts';
import type { DeviceKeyring } from '../ingest/device-keyring.ts';
import { normalizeSerial } from '../pki/index.ts';
import type { Store } from '../storage/store.ts';
import type { LifecycleWiring } from './lifecycle-wiring.ts';

/**
 * The embedded broker's identity lookup (EmbeddedBrokerOptions.resolveIdentity): a service, an
 * enabled device (`disabled` for a device that is not, so its refusals are named as such), or,
 * with the lifecycle wired, a claim certificate; an unknown identity signed by our CA is then
 * quarantined, and a renewed device certificate's first use switches the device to it.
 */
export function brokerIdentityResolver(d: {
  store: Pick<Store, 'getCertificate'>;
  keyring: Pick<DeviceKeyring, 'device'>;
  lifecycle: LifecycleWiring | undefined;
}): (cn: string, serialHex: string) => Promise<BrokerIdentity | 'disabled' | null> {
  return async (cn, serialHex) => {
    const cert = await d.store.getCertificate(normalizeSerial(serialHex));
    if (!cert) return d.lifecycle ? d.lifecycle.unknownCertificate(cn, serialHex) : null;
    if (cert.revokedAt !== null || cert.subject !== cn) return null;
    if (cert.kind === 'service') return { kind: 'service', name: cn };
    if (cert.kind !== 'device') return null;
    const device = await d.keyring.device(cn);
    if (!device) return null;
    if (device.status !== 'enabled') return 'disabled';
    d.lifecycle?.deviceCertificateUsed(device, cert.serial);
    return { kind: 'device', id: cn };
  };
}
