import { readFileSync } from 'node:fs';
import { trustBundlePem } from '../data-dir/ca-files.ts';
import { lifecycleStoresOf, type VigilContext } from '../data-dir/context.ts';
import { brokerUrl } from '../devices/device-service.ts';
import { VigilError } from '../errors.ts';
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
  const devices = [...new Set(o.devices)];
  for (const d of devices) await checkDevice(ctx, d);
  if (await ctx.store.getDevice(o.id))
    throw new VigilError('VIGIL_ERR_GATEWAY_STATE', `${o.id} is a device id; a gateway needs its own id`);
  if (await lifecycleStoresOf(ctx).gateways.getGateway(o.id))
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
  await lifecycleStoresOf(ctx).gateways.addGateway(gateway, devices);
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
    upstreamUrl: brokerUrl(ctx),
    topicPrefix: ctx.config.mqtt.topicPrefix,
  };
}

/** Binds or unbinds a device; audited. A running server applies it at its next store poll. */
export async function setBinding(
  ctx: VigilContext,
  o: { gatewayId: string; deviceId: string; bound: boolean; actor: string },
): Promise<boolean> {
  checkId('gateway id', o.gatewayId);
  if (!(await lifecycleStoresOf(ctx).gateways.getGateway(o.gatewayId)))
    throw new VigilError('VIGIL_ERR_GATEWAY_STATE', `unknown gateway ${o.gatewayId}`);
  const now = ctx.clock();
  let changed: boolean;
  if (o.bound) {
    await checkDevice(ctx, o.deviceId);
    const before = await lifecycleStoresOf(ctx).gateways.listBindings();
    await lifecycleStoresOf(ctx).gateways.bind(o.gatewayId, o.deviceId, now);
    changed = !before.some((b) => b.deviceId === o.deviceId);
  } else {
    checkId('device id', o.deviceId);
    changed = await lifecycleStoresOf(ctx).gateways.unbind(o.gatewayId, o.deviceId);
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
