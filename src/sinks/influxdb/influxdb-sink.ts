import type { InfluxSinkConfig } from '../../config/sinks-schema.ts';
import { displayTarget, type Sink } from '../sink.ts';
import type { OutboxReading } from '../sink-outbox.ts';
import { answerError, sinkPost } from '../sink-post.ts';
import { toLines } from './line-protocol.ts';

/** Points per `/write` request: InfluxData's advice for 1.x is 5,000 to 10,000. */
const BATCH = 5000;

/**
 * InfluxDB 1.x: batches of readings as line protocol to `/write?db=…&precision=ms` over HTTPS,
 * with HTTP Basic authentication (the credentials never go into the URL, where proxies and
 * logs would keep them). InfluxDB answers 204 when every point was written.
 */
export function influxdbSink(cfg: InfluxSinkConfig, caPem: string): Sink {
  const write = new URL('write', cfg.url.endsWith('/') ? cfg.url : `${cfg.url}/`);
  write.searchParams.set('db', cfg.database);
  write.searchParams.set('precision', 'ms');
  const auth = `Basic ${Buffer.from(`${cfg.username}:${cfg.password}`).toString('base64')}`;
  return {
    name: 'influxdb',
    kind: 'influxdb',
    target: `${displayTarget(write.href)} (db ${cfg.database})`,
    batchSize: BATCH,
    minIntervalMs: 0,
    devices: null,
    async deliver(batch: readonly OutboxReading[], signal: AbortSignal): Promise<void> {
      const answer = await sinkPost(write.href, {
        headers: { authorization: auth, 'content-type': 'text/plain; charset=utf-8' },
        body: toLines(cfg.measurement, batch),
        ca: [caPem],
        signal,
      });
      if (answer.status !== 204 && answer.status !== 200) throw answerError('InfluxDB', answer, Date.now());
    },
  };
}
