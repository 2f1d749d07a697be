import type { Logger } from 'pino';
import type { BrokerIdentity } from '../broker/acl.ts';
import type { VigilContext } from '../data-dir/context.ts';
import { GatewayRegistry } from '../gateways/gateway-registry.ts';
import type { GatewayStore } from '../gateways/gateway-store.ts';
import { normalizeSerial } from '../pki/serial.ts';

/** The gateway registry of a running server, loaded (docs/gateway.md). */
export async function wireGateways(
  ctx: VigilContext,
  store: GatewayStore,
  logger: Logger,
): Promise<GatewayRegistry> {
  const gateways = new GatewayRegistry({
    store,
    alarms: ctx.alarmStore,
    logger,
    topicPrefix: ctx.config.mqtt.topicPrefix,
    clock: ctx.clock,
  });
  await gateways.load();
  return gateways;
}

/**
 * The embedded broker's gateway hooks: status reports, and identities, a gateway certificate
 * being known by its serial in the gateway registry before anything else is asked.
 */
export function gatewayBrokerHooks(
  gateways: GatewayRegistry,
  resolveOther: (cn: string, serialHex: string) => Promise<BrokerIdentity | 'disabled' | null>,
) {
  return {
    onGatewayStatus: (id: string, payload: Buffer) => gateways.onStatus(id, payload),
    resolveIdentity: async (cn: string, serialHex: string): Promise<BrokerIdentity | 'disabled' | null> =>
      gateways.identityOf(cn, normalizeSerial(serialHex)) ?? resolveOther(cn, serialHex),
  };
}
