import { trustedCas } from '../../net/https-post.ts';
import { displayTarget, type Sink } from '../sink.ts';
import type { OutboxReading } from '../sink-outbox.ts';
import { answerError, sinkPost } from '../sink-post.ts';
import { sinkName } from './webhook-sink.ts';

/** ThingSpeak takes at most 960 messages in one bulk update (free accounts). */
const BATCH = 960;

export interface ThingSpeakConfig {
  url: string;
  apiKey: string;
  /** Reading fields in channel order: the first is field1, the eighth field8. */
  fields: string[];
  device: string;
  rateLimitPerSec: number;
}

/** One reading as one ThingSpeak update: `created_at`, `field1..8`, and its position if it has one. */
export function thingspeakUpdate(r: OutboxReading, fields: readonly string[]): Record<string, unknown> {
  const u: Record<string, unknown> = { created_at: new Date(r.ts).toISOString() };
  fields.forEach((f, i) => {
    const v = r.data[f];
    if (v !== undefined && v !== null) u[`field${i + 1}`] = v;
  });
  if (typeof r.data.lat === 'number' && typeof r.data.lon === 'number') {
    u.latitude = r.data.lat;
    u.longitude = r.data.lon;
  }
  return u;
}

/**
 * The ThingSpeak preset: one device's readings to one channel through the bulk JSON update
 * (`POST https://api.thingspeak.com/channels/<id>/bulk_update.json`, `write_api_key` and
 * `updates`), mapped to field1..field8, one request per 15 s by default (the free tier's limit).
 */
export function thingspeakSink(
  cfg: ThingSpeakConfig,
  caPem: string | undefined,
  clock: () => number = Date.now,
): Sink {
  return {
    name: sinkName('thingspeak', cfg.url, cfg.device),
    kind: 'thingspeak',
    target: `${displayTarget(cfg.url)} (${cfg.device})`,
    batchSize: BATCH,
    minIntervalMs: Math.ceil(1000 / cfg.rateLimitPerSec),
    devices: [cfg.device],
    async deliver(batch, signal) {
      const body = JSON.stringify({
        write_api_key: cfg.apiKey,
        updates: batch.map((r) => thingspeakUpdate(r, cfg.fields)),
      });
      const answer = await sinkPost(cfg.url, {
        headers: { 'content-type': 'application/json' },
        body,
        ca: trustedCas(caPem),
        signal,
      });
      if (answer.status < 200 || answer.status > 299) throw answerError('ThingSpeak', answer, clock());
    },
  };
}
