/**
 * Local HTTPS receivers for the webhook sink tests, on loopback with a certificate from a test CA:
 * - `generic`: verifies `X-Vigil-Signature` over the raw body (src/webhooks/signature.ts), drops a
 *   delivery id it has already processed, keeps the NDJSON lines; can fail its first requests.
 * - `thingspeak`: ThingSpeak's bulk JSON update (`write_api_key`, `updates` with `created_at` and
 *   field1..8), refusing a wrong key and a request sooner than 15 s after the last one.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import { makeTestPki } from '../../src/pki/test-pki.fixture.ts';
import { verifyWebhook } from '../../src/webhooks/signature.ts';

export interface ReceivedRequest {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  caPem: string;
  /** Every request, in order, with the status it got. */
  requests: ReceivedRequest[];
  /** Generic: the NDJSON lines of accepted deliveries (each delivery once). ThingSpeak: the updates. */
  accepted: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface ReceiverOptions {
  mode: 'generic' | 'thingspeak';
  /** Generic: the shared secret. ThingSpeak: the channel's write API key. */
  secret: string;
  /** Answer 503 to this many requests first. */
  failFirst?: number;
  /** ThingSpeak: least time between two accepted updates (its free tier: 15 s). */
  minIntervalMs?: number;
}

export async function startWebhookReceiver(o: ReceiverOptions): Promise<WebhookReceiver> {
  const pki = await makeTestPki();
  const requests: ReceivedRequest[] = [];
  const accepted: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  let lastAccepted = 0;
  const server = createServer({ cert: pki.server.certPem, key: pki.server.keyPkcs8Pem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const now = Date.now();
      const answer = (status: number, json: unknown = {}) => {
        requests.push({ at: now, headers: req.headers, body, status });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      };
      if (requests.length < (o.failFirst ?? 0)) return answer(503, { error: 'maintenance' });
      if (o.mode === 'thingspeak') {
        const msg = JSON.parse(body) as { write_api_key?: string; updates?: Record<string, unknown>[] };
        if (msg.write_api_key !== o.secret) return answer(401, { status: '401', error: 'invalid write key' });
        if (now - lastAccepted < (o.minIntervalMs ?? 15_000)) return answer(429, { error: 'rate limit' });
        lastAccepted = now;
        accepted.push(...(msg.updates ?? []));
        return answer(202, { success: true });
      }
      try {
        verifyWebhook(o.secret, body, req.headers['x-vigil-signature'] as string | undefined, now);
      } catch {
        return answer(401, { error: 'bad signature' });
      }
      const id = String(req.headers['x-vigil-delivery'] ?? '');
      if (!id) return answer(400, { error: 'no delivery id' });
      if (seen.has(id)) return answer(200, { duplicate: true });
      seen.add(id);
      for (const line of body.split('\n'))
        if (line) accepted.push(JSON.parse(line) as Record<string, unknown>);
      return answer(200, { ok: true });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}/${o.mode === 'thingspeak' ? 'channels/1234567/bulk_update.json' : 'vigil/readings'}`,
    caPem: pki.ca.certPem,
    requests,
    accepted,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
