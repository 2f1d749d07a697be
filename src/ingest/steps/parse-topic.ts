import { VigilError } from '../../errors.ts';
import { parseDeviceTopic } from '../../protocol/topics.ts';
import type { DataChannel, MessageContext, StepDeps } from './message-context.ts';

const DATA_CHANNELS: ReadonlySet<string> = new Set<DataChannel>(['telemetry', 'events', 'acks']);

/**
 * docs/protocol.md §6.2 step 1: the topic is `{p}/devices/{id}/(telemetry|events|acks)` and the
 * authenticated publisher is `{id}` or the gateway bound to `{id}`. Uses the broker's parse when it sent one (parsed once).
 */
export function parseTopic(ctx: MessageContext, deps: StepDeps): void {
  const route = ctx.msg.route ?? parseDeviceTopic(deps.topicPrefix, ctx.msg.topic);
  if (!route || !DATA_CHANNELS.has(route.channel)) {
    throw new VigilError('VIGIL_ERR_TOPIC', 'not a device data topic');
  }
  ctx.deviceId = route.deviceId;
  ctx.channel = route.channel as DataChannel;
  // The device itself, or the gateway bound to it now (docs/gateway.md); nobody else.
  const p = ctx.msg.publisher;
  if (p !== undefined && p !== route.deviceId && (deps.gatewayOf?.(route.deviceId) ?? null) !== p) {
    throw new VigilError('VIGIL_ERR_ACL', 'publisher is neither the topic device nor its gateway');
  }
}
