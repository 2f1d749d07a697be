/**
 * Webhook sinks against local HTTPS receivers written for the test: signed NDJSON batches that a
 * receiver verifies, retried with backoff through a receiver's outage and delivered once (the
 * delivery id lets it drop repeats), only the configured fields, the rate limit kept; a replayed
 * or altered request is refused. The ThingSpeak preset: field1..8, the write API key, and no two
 * requests within 15 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { isVigilError } from '../src/errors.ts';
import { verifyWebhook } from '../src/webhooks/signature.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  send,
  startInstance,
  truckSample,
  waitFor,
} from './helpers/instance.ts';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

const SECRET = 'test-webhook-secret-7f3a9c1e';
const TS_KEY = 'TSKEY1234567890AB';

describe('webhook sinks against local HTTPS receivers', () => {
  let generic: WebhookReceiver;
  let thingspeak: WebhookReceiver;
  let vigil: Instance;
  const clients: MqttClient[] = [];

  before(async () => {
    generic = await startWebhookReceiver({ mode: 'generic', secret: SECRET, failFirst: 2 });
    thingspeak = await startWebhookReceiver({ mode: 'thingspeak', secret: TS_KEY, minIntervalMs: 15_000 });
    vigil = await startInstance({
      sinks: {
        retryMaxMs: 1000,
        webhook: [
          {
            url: generic.url,
            secret: SECRET,
            fields: ['temp_c', 'power'],
            rateLimitPerSec: 2,
            ca: generic.caPem,
          },
          {
            preset: 'thingspeak',
            url: thingspeak.url,
            apiKey: TS_KEY,
            fields: ['temp_c', 'rh_pct'],
            device: 'truck-ts-1',
            ca: thingspeak.caPem,
          },
        ],
      },
    });
  });
  after(async () => {
    for (const c of clients) await closeClient(c);
    await vigil?.destroy();
    await generic?.close();
    await thingspeak?.close();
  });

  async function publisher(id: string) {
    const b = await vigil.addDevice(id);
    const c = await connectDevice(vigil.url, b);
    clients.push(c);
    let seq = 0;
    return async (n: number) => {
      for (let i = 0; i < n; i++) {
        seq++;
        const ts = Date.now() - 60_000 + seq * 100;
        await send(
          c,
          id,
          makeEnvelope(b, 'telemetry', { samples: [truckSample(ts, 4 + seq / 10)] }, { seq, ts }),
        );
      }
    };
  }

  it('delivers signed NDJSON once per reading through the receiver outage, with only the chosen fields', async () => {
    const publish = await publisher('truck-wh-1');
    await publish(12);
    const mine = () => generic.accepted.filter((l) => l.deviceId === 'truck-wh-1');
    await waitFor('12 readings at the receiver', () => mine().length >= 12, 30_000).catch(async (e) => {
      throw new Error(
        `${e.message}: ${JSON.stringify(await vigil.server.sinks.status())} ${JSON.stringify(generic.requests.map((r) => r.status))}`,
      );
    });
    const lines = mine();
    assert.equal(lines.length, 12);
    assert.deepEqual(
      lines.map((l) => l.seq),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      'once each, in order',
    );
    const first = lines[0] as Record<string, unknown>;
    assert.deepEqual(Object.keys(first), [
      'deviceId',
      'profile',
      'seq',
      'idx',
      'ts',
      'receivedAt',
      'backfill',
      'data',
    ]);
    assert.deepEqual(
      Object.keys(first.data as object).sort(),
      ['power', 'temp_c'],
      'only the configured fields',
    );
    assert.match(String(first.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // The outage: two 503s first, then the same batch again (new signature time, same delivery id).
    const statuses = generic.requests.map((r) => r.status);
    assert.deepEqual(statuses.slice(0, 2), [503, 503]);
    assert.equal(statuses[2], 200);
    assert.equal(
      generic.requests[0]?.headers['x-vigil-delivery'],
      generic.requests[2]?.headers['x-vigil-delivery'],
    );
    assert.equal(generic.requests[0]?.headers['content-type'], 'application/x-ndjson');
    assert.match(String(generic.requests[2]?.headers['x-vigil-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
    // rateLimitPerSec 2: never two requests within 500 ms, retries included.
    for (let i = 1; i < generic.requests.length; i++) {
      const gap = (generic.requests[i]?.at ?? 0) - (generic.requests[i - 1]?.at ?? 0);
      assert.ok(gap >= 495, `request ${i} came ${gap} ms after the one before`);
    }
    // The receiver stores a batch before it answers 200: the outbox empties once Vigil reads the answer.
    const webhookStatus = async () =>
      (await vigil.server.sinks.status()).filter((x) => x.kind === 'webhook')[0];
    await waitFor('the outbox emptied', async () => (await webhookStatus())?.outbox.pending === 0, 10_000);
    const s = await webhookStatus();
    assert.ok(s && s.failures === 2 && s.state === 'ok' && s.outbox.pending === 0, JSON.stringify(s));
  });

  it('a receiver refuses a replayed, an altered and a stale request', async () => {
    const ok = generic.requests.find((r) => r.status === 200);
    assert.ok(ok);
    const header = String(ok.headers['x-vigil-signature']);
    const before = generic.accepted.length;
    const res = await fetchTo(generic, ok.body, header, String(ok.headers['x-vigil-delivery']));
    assert.deepEqual(
      res,
      { status: 200, json: { duplicate: true } },
      'a replay of a processed delivery is dropped',
    );
    const altered = ok.body.replace('"truck-wh-1"', '"truck-wh-2"');
    assert.equal(
      (await fetchTo(generic, altered, header, 'other-id')).status,
      401,
      'an altered body fails the signature',
    );
    assert.equal(generic.accepted.length, before);
    const t = Number(/t=(\d+)/.exec(header)?.[1]);
    assert.throws(
      () => verifyWebhook(SECRET, ok.body, header, (t + 301) * 1000),
      (err) => isVigilError(err, 'VIGIL_ERR_WEBHOOK_SIGNATURE'),
      'outside the 5-minute tolerance, the same request is refused',
    );
  });

  it('ThingSpeak preset: field1..8 from the chosen fields, the write API key, one request per 15 s', async () => {
    const publish = await publisher('truck-ts-1');
    await publish(3);
    await waitFor('the first bulk update', () => thingspeak.accepted.length >= 1, 30_000);
    await publish(2);
    await waitFor('every update, 15 s apart', () => thingspeak.accepted.length >= 5, 60_000);
    assert.equal(thingspeak.accepted.length, 5);
    const statuses = thingspeak.requests.map((r) => r.status);
    assert.ok(
      statuses.length >= 2 && statuses.every((st) => st === 202),
      `never refused for going too fast: ${statuses}`,
    );
    for (let i = 1; i < thingspeak.requests.length; i++) {
      const gap = (thingspeak.requests[i]?.at ?? 0) - (thingspeak.requests[i - 1]?.at ?? 0);
      assert.ok(gap >= 15_000, `request ${i} came ${gap} ms after the one before`);
    }
    const u = thingspeak.accepted[0] as Record<string, unknown>;
    assert.deepEqual(Object.keys(u).sort(), ['created_at', 'field1', 'field2', 'latitude', 'longitude']);
    assert.equal(u.field2, 51.2);
    assert.equal(u.latitude, 52.37);
    assert.match(String(u.created_at), /Z$/);
    assert.ok(!thingspeak.requests.some((r) => r.body.includes('truck-wh-1')), 'only the configured device');
  });
});

/** POSTs a body with a given signature and delivery id to the receiver, as an attacker would. */
async function fetchTo(r: WebhookReceiver, body: string, signature: string, delivery: string) {
  const { request } = await import('node:https');
  return new Promise<{ status: number; json: unknown }>((resolve, reject) => {
    const req = request(r.url, {
      method: 'POST',
      ca: r.caPem,
      headers: {
        'content-type': 'application/x-ndjson',
        'x-vigil-signature': signature,
        'x-vigil-delivery': delivery,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
