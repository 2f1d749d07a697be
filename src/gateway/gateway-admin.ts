import { readFileSync } from 'node:fs';
import { CLAIM_CN_PREFIX } from '../broker/acl.ts';
import { trustBundlePem } from '../data-dir/ca-files.ts';
import { rebuildCrlOf, type VigilContext } from '../data-dir/context.ts';
import { brokerUrls } from '../devices/device-service.ts';
import { VigilError } from '../errors.ts';
import { GATEWAY_QUEUE_FULL_RULE } from '../gateways/gateway-registry.ts';
import type { GatewayRecord } from '../gateways/gateway-store.ts';
import { issueGatewayCert } from '../pki/issue-gateway.ts';
import { normalizeSerial } from '../pki/serial.ts';
import { DEVICE_ID_RULE, isDeviceId } from '../protocol/device-id.ts';

/** What `vigil gateway add` writes into the bundle (docs/gateway.md). */
export interface GatewayBundleMaterial {
  gateway: GatewayRecord;
  devices: string[];
  certPem: string;
  keyPem: string;
  caPem: string;
  crlPem: string;
  upstreamUrl: string;
  topicPrefix: string;
}

function checkId(what: string, id: string): void {
  if (!isDeviceId(id))
    throw new VigilError('VIGIL_ERR_USAGE', `${what} ${DEVICE_ID_RULE}: ${JSON.stringify(id).slice(0, 80)}`);
}

async function checkDevice(ctx: VigilContext, id: string): Promise<void> {
  checkId('device id', id);
  if (!(await ctx.store.getDevice(id)))
    throw new VigilError('VIGIL_ERR_UNKNOWN_DEVICE', `unknown device ${id}`);
}

/** Creates a gateway: certificate, registry row with its devices, audit. */
export async function addGateway(
  ctx: VigilContext,
  o: { id: string; devices: string[]; actor: string; hostNames?: string[]; ips?: string[] },
): Promise<GatewayBundleMaterial> {
  checkId('gateway id', o.id);
  // An external broker knows clients by certificate name only: these prefixes have ACLs of their own.
  for (const reserved of ['vigil-', CLAIM_CN_PREFIX]) {
    if (o.id.startsWith(reserved))
      throw new VigilError(
        'VIGIL_ERR_USAGE',
        `gateway id "${o.id}": names starting with ${reserved} are reserved`,
      );
  }
  const devices = [...new Set(o.devices)];
  for (const d of devices) await checkDevice(ctx, d);
  if (await ctx.store.getDevice(o.id))
    throw new VigilError('VIGIL_ERR_GATEWAY_STATE', `${o.id} is a device id; a gateway needs its own id`);
  if (await ctx.lifecycleStores.gateways.getGateway(o.id))
    throw new VigilError('VIGIL_ERR_GATEWAY_STATE', `gateway ${o.id} exists`);
  const now = ctx.clock();
  const cert = await issueGatewayCert({
    ca: ctx.ca,
    gatewayId: o.id,
    hostNames: o.hostNames ?? [],
    ips: o.ips ?? [],
    now: new Date(now),
  });
  const gateway: GatewayRecord = {
    id: o.id,
    certSerial: normalizeSerial(cert.serial),
    certPem: cert.certPem,
    createdAt: now,
    createdBy: o.actor,
    revokedAt: null,
  };
  await ctx.lifecycleStores.gateways.addGateway(gateway, devices);
  await ctx.store.appendAudit({
    ts: now,
    actor: o.actor,
    action: 'gateway.created',
    object: o.id,
    detail: { devices, serial: gateway.certSerial },
  });
  let crlPem = '';
  try {
    crlPem = readFileSync(ctx.paths.crl, 'utf8');
  } catch {
    // No CRL written yet (never started): the gateway fetches it from upstream on connect.
  }
  return {
    gateway,
    devices,
    certPem: cert.certPem,
    keyPem: cert.keyPkcs8Pem ?? '',
    caPem: trustBundlePem(ctx.ca, ctx.previousCa),
    crlPem,
    // The broker devices are told to use (mqtt.advertisedBrokers, else this host): the first one.
    upstreamUrl: brokerUrls(ctx)[0] ?? '',
    topicPrefix: ctx.config.mqtt.topicPrefix,
  };
}

/** Binds or unbinds a device; audited. A running server applies it at its next store poll. */
export async function setBinding(
  ctx: VigilContext,
  o: { gatewayId: string; deviceId: string; bound: boolean; actor: string },
): Promise<boolean> {
  await requireGateway(ctx, o.gatewayId);
  const now = ctx.clock();
  let changed: boolean;
  if (o.bound) {
    await checkDevice(ctx, o.deviceId);
    const before = await ctx.lifecycleStores.gateways.listBindings();
    await ctx.lifecycleStores.gateways.bind(o.gatewayId, o.deviceId, now);
    changed = !before.some((b) => b.deviceId === o.deviceId);
  } else {
    checkId('device id', o.deviceId);
    changed = await ctx.lifecycleStores.gateways.unbind(o.gatewayId, o.deviceId);
    if (!changed)
      throw new VigilError('VIGIL_ERR_GATEWAY_STATE', `${o.deviceId} is not bound to gateway ${o.gatewayId}`);
  }
  if (changed) {
    await ctx.store.appendAudit({
      ts: now,
      actor: o.actor,
      action: o.bound ? 'gateway.bound' : 'gateway.unbound',
      object: o.gatewayId,
      detail: { device: o.deviceId },
    });
  }
  return changed;
}

/** What `vigil gateway revoke` and `vigil gateway remove` did. */
export interface GatewayRetirement {
  gatewayId: string;
  certSerial: string;
  /** False when the certificate was revoked already (nothing changed by a revoke). */
  revoked: boolean;
  /** The devices it relayed for (remove only; they are unbound). */
  devices: string[];
}

/**
 * Puts the gateway's certificate on the CRL: the broker refuses its TLS handshake from then on and
 * drops a live session at its next store poll. Its bindings stay until `remove`. Audited.
 */
export async function revokeGateway(
  ctx: VigilContext,
  o: { id: string; actor: string; reason?: string | undefined },
): Promise<GatewayRetirement> {
  const g = await requireGateway(ctx, o.id);
  const reason = o.reason ?? 'keyCompromise';
  const now = ctx.clock();
  const revoked = await ctx.lifecycleStores.gateways.revokeGateway(o.id, now, reason);
  if (revoked) {
    await writeCrl(ctx);
    await ctx.store.appendAudit({
      ts: now,
      actor: o.actor,
      action: 'gateway.revoked',
      object: o.id,
      detail: { serial: g.certSerial, reason },
    });
  }
  return { gatewayId: o.id, certSerial: g.certSerial, revoked, devices: [] };
}

/**
 * Retires a gateway: its certificate is revoked (if it is not yet) and stays on the CRL, its
 * devices are unbound (they may connect directly or through another gateway) and its id may be
 * used again. One transaction; audited.
 */
export async function removeGateway(
  ctx: VigilContext,
  o: { id: string; actor: string },
): Promise<GatewayRetirement> {
  const g = await requireGateway(ctx, o.id);
  const now = ctx.clock();
  const devices = await ctx.lifecycleStores.gateways.removeGateway(o.id, now, 'cessationOfOperation');
  await writeCrl(ctx);
  // Its queue-full alarm can no longer be resolved by a report of its own.
  const alarms = await ctx.alarmStore.list({ state: 'active', subject: o.id, rule: GATEWAY_QUEUE_FULL_RULE });
  for (const a of alarms) await ctx.alarmStore.resolve(a.id, now, now);
  await ctx.store.appendAudit({
    ts: now,
    actor: o.actor,
    action: 'gateway.removed',
    object: o.id,
    detail: { serial: g.certSerial, devices, wasRevoked: g.revokedAt !== null },
  });
  return { gatewayId: o.id, certSerial: g.certSerial, revoked: g.revokedAt === null, devices };
}

async function requireGateway(ctx: VigilContext, id: string): Promise<GatewayRecord> {
  checkId('gateway id', id);
  const g = await ctx.lifecycleStores.gateways.getGateway(id);
  if (!g) throw new VigilError('VIGIL_ERR_GATEWAY_STATE', `unknown gateway ${id}`);
  return g;
}

/** The CRL file with the new revocation; a running server picks it up at its next store poll. */
async function writeCrl(ctx: VigilContext): Promise<void> {
  await rebuildCrlOf(ctx);
}
