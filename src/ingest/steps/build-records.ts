import type { DeviceEventBody } from '../../protocol/bodies.ts';
import type { MessageContext, StepDeps } from './message-context.ts';

/**
 * The rows to store: one reading per sample (backfill when older than `backfillAfterMs` on
 * arrival), or one message. A delivery token is replaced by its keyed hash before it gets here.
 */
export function buildRecords(ctx: MessageContext, deps: StepDeps): void {
  const { dev: deviceId, seq, ts } = ctx.env;
  const receivedAt = ctx.msg.receivedAt;
  if (ctx.samples) {
    ctx.samples.forEach((s, idx) => {
      const { ts: sampleTs, ...data } = s;
      ctx.readings.push({
        deviceId,
        seq,
        idx,
        ts: sampleTs,
        receivedAt,
        backfill: receivedAt - sampleTs > deps.backfillAfterMs,
        data,
      });
    });
  } else if (ctx.event) {
    const body = redact(ctx.event, deps.tokenHash);
    ctx.messages.push({ deviceId, seq, channel: 'events', ts: ctx.event.ts ?? ts, receivedAt, body });
  } else if (ctx.ack) {
    ctx.messages.push({ deviceId, seq, channel: 'acks', ts, receivedAt, body: ctx.ack });
  }
}

function redact(ev: DeviceEventBody, tokenHash: (token: string) => string): Record<string, unknown> {
  if (typeof ev.token !== 'string') return ev;
  const { token, ...rest } = ev;
  return { ...rest, token_hash: tokenHash(token as string) };
}
