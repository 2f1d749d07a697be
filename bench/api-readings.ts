import { Agent, request } from 'node:https';
import type { ReadingRecord } from '../src/storage/store.ts';
import { nowMs } from './clock.ts';
import { type Summary, summarize } from './stats.ts';
import type { VigilFixture } from './vigil-fixture.ts';

export interface ApiReadingsOptions {
  /** Days of data at one sample per `intervalMs`, ending now. */
  days: number;
  intervalMs: number;
  /** Points asked for (`maxPoints`): what a chart shows. */
  maxPoints: number;
  /** Measured requests (each paired with one baseline store query); bounded by `maxMs` too. */
  requests: number;
  warmup: number;
  maxMs: number;
}

export interface ApiReadingsResult {
  seeded: number;
  seedMs: number;
  maxPoints: number;
  /** What the API answered (checked on the first response). */
  returnedPoints: number;
  downsampled: boolean;
  scanned: number;
  responseBytes: number;
  requests: number;
  /** GET /api/v1/devices/:id/readings over HTTPS with a Bearer token: request sent -> body received. */
  api: Summary;
  /** Baseline: `store.queryReadings` of the same range (all rows, one call), in-process. */
  store: Summary;
  /** api p50 / store p50, and the same at p99. */
  ratioP50: number;
  ratioP99: number;
}

const DEVICE = 'bench-api-0';

/** Deterministic truck-like samples: a slow daily wave plus a little ripple, and a GPS track. */
function sample(i: number, ts: number): Record<string, unknown> {
  const day = (ts % 86_400_000) / 86_400_000;
  return {
    temp_c: Math.round((5 + 1.5 * Math.sin(2 * Math.PI * day) + 0.2 * Math.sin(i / 7)) * 100) / 100,
    rh_pct: Math.round((50 + 8 * Math.cos(2 * Math.PI * day)) * 10) / 10,
    lat: 52.37 - (i % 1440) * 0.0004,
    lon: 4.89 + (i % 1440) * 0.0002,
    bat_pct: 100 - (i % 1440) / 30,
    power: 'mains',
  };
}

/** Seeds the range straight into the store, in the pipeline's batch shape, one commit per 5,000. */
async function seed(fx: VigilFixture, from: number, count: number, intervalMs: number): Promise<void> {
  let batch: ReadingRecord[] = [];
  const flush = async () => {
    const last = batch[batch.length - 1];
    if (!last) return;
    await fx.ctx.store.writeBatch({
      readings: batch,
      messages: [],
      replayStates: [],
      lastSeen: [{ deviceId: DEVICE, at: last.receivedAt }],
    });
    batch = [];
  };
  for (let i = 0; i < count; i++) {
    const ts = from + i * intervalMs;
    batch.push({
      deviceId: DEVICE,
      seq: i + 1,
      idx: 0,
      ts,
      receivedAt: ts + 250,
      backfill: false,
      data: sample(i, ts),
    });
    if (batch.length === 5000) await flush();
  }
  await flush();
}

function get(
  agent: Agent,
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: Buffer; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: nowMs() - t0 }),
      );
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * 30 days of 1-minute readings (43,200) of one device, asked for as a chart does: one request for
 * the whole range with `maxPoints`, answered downsampled (mean/min/max per bucket, gaps). Each
 * measured API request is paired with the baseline: the store reading the same rows in-process.
 */
export async function runApiReadings(
  fx: VigilFixture,
  o: ApiReadingsOptions,
  log: (s: string) => void,
): Promise<ApiReadingsResult> {
  await fx.provision(DEVICE);
  const count = Math.round((o.days * 86_400_000) / o.intervalMs);
  const to = Date.now();
  const from = to - count * o.intervalMs;
  const t0 = nowMs();
  await seed(fx, from, count, o.intervalMs);
  const seedMs = nowMs() - t0;
  log(`  seeded ${count} readings of ${DEVICE} in ${(seedMs / 1000).toFixed(1)} s`);

  // An API token as a machine client uses (Bearer): no session, no CSRF check, viewer role.
  const { token } = await fx.server.auth.tokens.create({
    label: 'bench api',
    role: 'viewer',
    owner: 'admin',
    actor: 'bench',
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: fx.ctx.ca.certPem });
  const path = `/api/v1/devices/${DEVICE}/readings?from=${from}&to=${to + 1}&maxPoints=${o.maxPoints}`;
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  try {
    const first = await get(agent, fx.server.httpPort, path, headers);
    if (first.status !== 200)
      throw new Error(`readings query answered ${first.status}: ${first.body.toString().slice(0, 200)}`);
    const doc = JSON.parse(first.body.toString()) as {
      points: unknown[];
      downsampled: boolean;
      count: number;
    };
    if (doc.count !== count) throw new Error(`the API scanned ${doc.count} readings, expected ${count}`);
    for (let i = 1; i < o.warmup; i++) await get(agent, fx.server.httpPort, path, headers);
    for (let i = 0; i < o.warmup; i++)
      await fx.ctx.store.queryReadings({ deviceId: DEVICE, since: from, until: to + 1, limit: 100_000 });

    const api: number[] = [];
    const store: number[] = [];
    const deadline = nowMs() + o.maxMs;
    for (let i = 0; i < o.requests && nowMs() < deadline; i++) {
      const s0 = nowMs();
      const rows = await fx.ctx.store.queryReadings({
        deviceId: DEVICE,
        since: from,
        until: to + 1,
        limit: 100_000,
      });
      store.push(nowMs() - s0);
      if (rows.length !== count) throw new Error(`store returned ${rows.length} rows, expected ${count}`);
      const r = await get(agent, fx.server.httpPort, path, headers);
      if (r.status !== 200) throw new Error(`readings query answered ${r.status}`);
      api.push(r.ms);
    }
    const a = summarize(api);
    const s = summarize(store);
    return {
      seeded: count,
      seedMs,
      maxPoints: o.maxPoints,
      returnedPoints: doc.points.length,
      downsampled: doc.downsampled,
      scanned: doc.count,
      responseBytes: first.body.length,
      requests: api.length,
      api: a,
      store: s,
      ratioP50: a.p50 / s.p50,
      ratioP99: a.p99 / s.p99,
    };
  } finally {
    agent.destroy();
  }
}
