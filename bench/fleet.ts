import { randomBytes } from 'node:crypto';
import type { VigilContext } from '../src/data-dir/context.ts';
import { deviceSecretIdentity } from '../src/keys/master-key.ts';
import { issueClientCert } from '../src/pki/index.ts';
import type { DeviceProfile } from '../src/protocol/device-profile.ts';
import type { DeviceRecord } from '../src/storage/store.ts';
import type { LoadDevice } from './load-types.ts';

/** A device of a bench fleet: what the load generator needs (certificate fields empty without one). */
export type FleetDevice = LoadDevice;

/**
 * Provisions many devices quickly for a benchmark's setup (not timed): the registry rows and
 * sealed secrets as `addDevice` writes them, with a client certificate each when `certs` (issued
 * 16 at a time; no bundle files). Call on a seeding context (synchronous NORMAL): one fsync per
 * device would take minutes for a fleet of thousands.
 */
export async function provisionFleet(
  ctx: VigilContext,
  ids: readonly string[],
  o: { certs: boolean; profile?: DeviceProfile },
): Promise<FleetDevice[]> {
  const out: FleetDevice[] = [];
  const now = ctx.clock();
  for (let i = 0; i < ids.length; i += 16) {
    const chunk = ids.slice(i, i + 16);
    const certs = o.certs
      ? await Promise.all(
          chunk.map((id) =>
            issueClientCert({
              ca: ctx.ca,
              commonName: id,
              kind: 'device',
              validityDays: 30,
              now: new Date(now),
            }),
          ),
        )
      : chunk.map(() => undefined);
    for (const [k, id] of chunk.entries()) {
      const cert = certs[k];
      const secret = randomBytes(32);
      const device: DeviceRecord = {
        id,
        profile: o.profile ?? 'vaccine-transport',
        status: 'enabled',
        alg: 'A256GCM',
        currentKid: 1,
        createdAt: now,
        updatedAt: now,
        certSerial: cert?.serial ?? null,
        certNotAfter: cert?.notAfter ?? null,
        lastSeenAt: null,
      };
      await ctx.store.addDevice(device, {
        deviceId: id,
        kid: 1,
        secretEnc: ctx.master.seal('device-secret', secret, deviceSecretIdentity(id, 1)),
        createdAt: now,
        status: 'active',
      });
      if (cert) {
        await ctx.store.addCertificate({
          serial: cert.serial,
          subject: id,
          kind: 'device',
          notBefore: cert.notBefore,
          notAfter: cert.notAfter,
          pem: cert.certPem,
          revokedAt: null,
          revocationReason: null,
        });
      }
      out.push({
        id,
        ca: ctx.ca.certPem,
        cert: cert?.certPem ?? '',
        key: cert?.keyPkcs8Pem ?? '',
        secret: secret.toString('base64url'),
        kid: 1,
        alg: 'A256GCM',
      });
    }
  }
  return out;
}
