import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../atomic-file.ts';
import { trustBundlePem } from '../data-dir/ca-files.ts';
import { rebuildCrlOf, type VigilContext } from '../data-dir/context.ts';
import { VigilError } from '../errors.ts';
import { deviceSecretIdentity } from '../keys/master-key.ts';
import { type IssuedCert, issueClientCert } from '../pki/index.ts';
import type { Alg } from '../protocol/aead.ts';
import { b64uEncode } from '../protocol/base64url.ts';
import { DEVICE_ID_RE, DEVICE_ID_RULE } from '../protocol/device-id.ts';
import { DEVICE_PROFILES, isDeviceProfile } from '../protocol/device-profile.ts';
import type { DeviceRecord } from '../storage/store.ts';
import { firmwareHeader } from './firmware-header.ts';

export interface DeviceBundle {
  dir: string;
  files: string[];
  device: DeviceRecord;
}

export interface AddDeviceOptions {
  id: string;
  profile: string;
  alg?: Alg;
  outDir?: string | undefined;
  /** Who did it, for the audit log. */
  actor: string;
}

/** Default broker URL written into bundles: the first configured host name, else localhost. */
export function brokerUrl(ctx: VigilContext): string {
  const host = ctx.config.pki.hostNames[0] ?? 'localhost';
  return `mqtts://${host}:${ctx.config.mqtt.port}`;
}

/** The ordered broker list written into bundles: `mqtt.advertisedBrokers`, else this host. */
export function brokerUrls(ctx: VigilContext): string[] {
  const list = ctx.config.mqtt.advertisedBrokers;
  return list.length > 0 ? [...list] : [brokerUrl(ctx)];
}

export function checkDeviceId(id: string): void {
  // `vigil-*` names belong to backend services; an external broker knows clients only by
  // certificate name, so a device called like a service would get the service's ACL.
  if (id.startsWith('vigil-'))
    throw new VigilError(
      'VIGIL_ERR_DEVICE_ID',
      `"${id}": names starting with vigil- are reserved for services`,
    );
  if (!DEVICE_ID_RE.test(id)) {
    throw new VigilError('VIGIL_ERR_DEVICE_ID', `"${id.slice(0, 70)}" ${DEVICE_ID_RULE}`);
  }
}

/**
 * Stores a new device (enabled, kid 1), its sealed secret and its certificate: what `vigil
 * device add` and an approved claim (src/claims) have in common.
 */
export async function registerDevice(
  ctx: VigilContext,
  o: {
    id: string;
    profile: DeviceRecord['profile'];
    alg: Alg;
    cert: IssuedCert;
    secret: Buffer;
    now: number;
  },
): Promise<DeviceRecord> {
  const { cert, now } = o;
  const device: DeviceRecord = {
    id: o.id,
    profile: o.profile,
    status: 'enabled',
    alg: o.alg,
    currentKid: 1,
    createdAt: now,
    updatedAt: now,
    certSerial: cert.serial,
    certNotAfter: cert.notAfter,
    lastSeenAt: null,
  };
  await ctx.store.addDevice(device, {
    deviceId: o.id,
    kid: 1,
    secretEnc: ctx.master.seal('device-secret', o.secret, deviceSecretIdentity(o.id, 1)),
    createdAt: now,
    status: 'active',
  });
  await ctx.store.addCertificate({
    serial: cert.serial,
    subject: o.id,
    kind: 'device',
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    pem: cert.certPem,
    revokedAt: null,
    revocationReason: null,
  });
  return device;
}

/**
 * Provisions a device: registry entry, secret kid 1 (sealed under the master key), client
 * certificate (CN = id), and the bundle a device needs: ca.crt, device.crt, device.key,
 * device.json and vigil_device_config.h. The secret exists in clear only in the bundle.
 */
export async function addDevice(ctx: VigilContext, o: AddDeviceOptions): Promise<DeviceBundle> {
  checkDeviceId(o.id);
  const profile = o.profile;
  if (!isDeviceProfile(profile)) {
    throw new VigilError('VIGIL_ERR_USAGE', `--profile must be one of ${DEVICE_PROFILES.join(', ')}`);
  }
  if (await ctx.store.getDevice(o.id)) throw new VigilError('VIGIL_ERR_DEVICE_EXISTS', o.id);
  const dir = resolve(o.outDir ?? join(ctx.paths.devicesDir, o.id));
  // Before anything is registered: a directory others can write to is refused (they could plant
  // or swap files between our writes), so bad input changes nothing.
  ensurePrivateDir(dir);
  if (readdirSync(dir).some((f) => f === 'device.key' || f === 'device.json')) {
    throw new VigilError('VIGIL_ERR_USAGE', `${dir} already holds a device bundle; choose another --out`);
  }
  const now = ctx.clock();
  const cert = await issueClientCert({
    ca: ctx.ca,
    commonName: o.id,
    kind: 'device',
    validityDays: ctx.config.pki.deviceValidityDays,
    now: new Date(now),
  });
  const secret = randomBytes(32);
  const alg = o.alg ?? 'A256GCM';
  const device = await registerDevice(ctx, { id: o.id, profile, alg, cert, secret, now });
  const info = {
    id: o.id,
    profile,
    kid: 1,
    secret: b64uEncode(secret),
    alg,
    broker_url: brokerUrls(ctx)[0] as string,
    brokers: brokerUrls(ctx),
    topic_prefix: ctx.config.mqtt.topicPrefix,
    // The firmware signing keys the device trusts (docs/ota.md): it installs only images they sign.
    firmware_keys: [...ctx.config.ota.trustedKeys],
  };
  const files: [string, string, number][] = [
    ['ca.crt', trustBundlePem(ctx.ca, ctx.previousCa), 0o644],
    ['device.crt', cert.certPem, 0o644],
    ['device.key', cert.keyPkcs8Pem ?? '', 0o600],
    ['device.json', `${JSON.stringify(info, null, 2)}\n`, 0o600],
    [
      'vigil_device_config.h',
      firmwareHeader({
        ...info,
        caPem: trustBundlePem(ctx.ca, ctx.previousCa),
        certPem: cert.certPem,
        keyPem: cert.keyPkcs8Pem ?? '',
      }),
      0o600,
    ],
  ];
  for (const [name, content, mode] of files) writeFileAtomic(join(dir, name), content, mode);
  await ctx.store.appendAudit({
    ts: now,
    actor: o.actor,
    action: 'device.add',
    object: o.id,
    detail: { profile, alg, kid: 1, cert_serial: cert.serial, bundle: dir },
  });
  return { dir, files: files.map(([n]) => n), device };
}

export async function requireDevice(ctx: VigilContext, id: string): Promise<DeviceRecord> {
  checkDeviceId(id);
  const d = await ctx.store.getDevice(id);
  if (!d) throw new VigilError('VIGIL_ERR_NOT_FOUND', `device ${id}`);
  return d;
}

export async function setDeviceEnabled(
  ctx: VigilContext,
  id: string,
  enabled: boolean,
  actor: string,
): Promise<DeviceRecord> {
  const d = await requireDevice(ctx, id);
  if (d.status === 'revoked')
    throw new VigilError('VIGIL_ERR_USAGE', `device ${id} is revoked; provision a new one`);
  const status = enabled ? 'enabled' : 'disabled';
  if (d.status !== status) {
    await ctx.store.setDeviceStatus(id, status, ctx.clock());
    await ctx.store.appendAudit({
      ts: ctx.clock(),
      actor,
      action: enabled ? 'device.enable' : 'device.disable',
      object: id,
      detail: { old: d.status, new: status },
    });
  }
  return { ...d, status };
}

/**
 * Revokes a device: status `revoked`, every certificate of it on the CRL (rebuilt now). A running
 * server picks the change up on its next poll and drops the live session.
 */
export async function revokeDevice(
  ctx: VigilContext,
  id: string,
  actor: string,
  reason = 'keyCompromise',
): Promise<string[]> {
  const d = await requireDevice(ctx, id);
  const now = ctx.clock();
  const serials = await revokeCertificatesOf(ctx, id, now, reason, () =>
    ctx.store.setDeviceStatus(id, 'revoked', now),
  );
  await ctx.store.appendAudit({
    ts: now,
    actor,
    action: 'device.revoke',
    object: id,
    detail: { old: d.status, new: 'revoked', reason, serials },
  });
  return serials;
}

/**
 * Puts every live certificate of device `id` on the CRL (rebuilt after `between`, the registry
 * change that goes with it) and returns their serials.
 */
async function revokeCertificatesOf(
  ctx: VigilContext,
  id: string,
  now: number,
  reason: string,
  between: () => Promise<void>,
): Promise<string[]> {
  const certs = (await ctx.store.listCertificates({ subject: id, kind: 'device' })).filter(
    (c) => c.revokedAt === null,
  );
  for (const c of certs) await ctx.store.revokeCertificate(c.serial, now, reason);
  await between();
  await rebuildCrlOf(ctx);
  return certs.map((c) => c.serial);
}

/**
 * Why a device may not be deleted (it has been seen, or has readings, events or a shipment), or
 * null when it may: such a device keeps its record and is revoked instead.
 */
export async function deletionRefusal(ctx: VigilContext, d: DeviceRecord): Promise<string | null> {
  const why = [
    d.lastSeenAt !== null ? `it connected (last seen ${new Date(d.lastSeenAt).toISOString()})` : '',
    (await ctx.store.countReadings(d.id)) > 0 ? 'it has readings' : '',
    (await ctx.store.queryMessages({ deviceId: d.id, limit: 1 })).length > 0 ? 'it has events' : '',
    (await ctx.shipmentStore.list({ deviceId: d.id, limit: 1 })).length > 0 ? 'it has shipments' : '',
  ].filter(Boolean);
  return why.length > 0 ? `device ${d.id} cannot be deleted: ${why.join(', ')}` : null;
}

/**
 * Deletes a device that never delivered anything (a mistyped id, a logger never installed): its
 * registry entry and keys go, its certificates are revoked (kept on the CRL, so its bundle can
 * never connect, also if the id is provisioned again), and the deletion is audited. A device that
 * has been seen, or has readings, events or a shipment, keeps its record (VIGIL_ERR_DEVICE_IN_USE):
 * revoke it instead.
 */
export async function deleteDevice(ctx: VigilContext, id: string, actor: string): Promise<string[]> {
  const d = await requireDevice(ctx, id);
  const refusal = await deletionRefusal(ctx, d);
  if (refusal) throw new VigilError('VIGIL_ERR_DEVICE_IN_USE', refusal);
  // The store refuses too (foreign keys), should data arrive between the check and the delete.
  await ctx.store.deleteDevice(id);
  const now = ctx.clock();
  const serials = await revokeCertificatesOf(ctx, id, now, 'cessationOfOperation', async () => {});
  await ctx.store.appendAudit({
    ts: now,
    actor,
    action: 'device.delete',
    object: id,
    detail: { profile: d.profile, status: d.status, serials },
  });
  return serials;
}
