import { createHash } from 'node:crypto';
import { trustedCas } from '../../net/https-post.ts';
import { VIGIL_VERSION } from '../../vigil-version.ts';
import { SIGNATURE_HEADER, signWebhook } from '../../webhooks/signature.ts';
import { displayTarget, type Sink } from '../sink.ts';
import type { OutboxReading } from '../sink-outbox.ts';
import { answerError, sinkPost } from '../sink-post.ts';
import { readingLine } from './reading-line.ts';

/** Lines per request. */
const BATCH = 500;

/** A stable sink name from what identifies the target (the outbox and alarms are keyed on it). */
export function sinkName(prefix: string, ...parts: string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 8)}`;
}

/**
 * The id of one batch: the same for every retry of it, different for the next one, so that a
 * receiver drops a request it has already processed (a retry whose answer was lost, or a replay).
 */
export function deliveryId(name: string, batch: readonly OutboxReading[]): string {
  const first = batch[0]?.id ?? 0;
  const last = batch[batch.length - 1]?.id ?? 0;
  return createHash('sha256').update(`${name}:${first}-${last}`).digest('base64url').slice(0, 22);
}

export interface WebhookSinkConfig {
  url: string;
  secret: string;
  fields?: string[] | undefined;
  rateLimitPerSec?: number | undefined;
  devices?: string[] | undefined;
}

/**
 * A generic webhook: each batch is an HTTPS POST of NDJSON (`application/x-ndjson`, one reading
 * per line), signed with the shared secret (`X-Vigil-Signature`, src/webhooks/signature.ts,
 * signed anew at each attempt) and identified by `X-Vigil-Delivery`. Any 2xx accepts the batch.
 */
export function webhookSink(
  cfg: WebhookSinkConfig,
  caPem: string | undefined,
  clock: () => number = Date.now,
): Sink {
  const name = sinkName('webhook', cfg.url);
  return {
    name,
    kind: 'webhook',
    target: displayTarget(cfg.url),
    batchSize: BATCH,
    minIntervalMs: cfg.rateLimitPerSec ? Math.ceil(1000 / cfg.rateLimitPerSec) : 0,
    devices: cfg.devices ?? null,
    async deliver(batch, signal) {
      const body = `${batch.map((r) => readingLine(r, cfg.fields)).join('\n')}\n`;
      const answer = await sinkPost(cfg.url, {
        headers: {
          'content-type': 'application/x-ndjson',
          'user-agent': `vigil/${VIGIL_VERSION}`,
          [SIGNATURE_HEADER]: signWebhook(cfg.secret, body, clock()),
          'X-Vigil-Delivery': deliveryId(name, batch),
        },
        body,
        ca: trustedCas(caPem),
        signal,
      });
      if (answer.status < 200 || answer.status > 299) throw answerError('webhook', answer, clock());
    },
  };
}
