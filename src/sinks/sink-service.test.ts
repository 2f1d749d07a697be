import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pino from 'pino';
import { freshSqlite } from '../storage/adapters/sqlite.fixture.ts';
import type { SqliteAdapters } from '../storage/adapters/sqlite-adapters.ts';
import { sampleBatch, sampleDevice, sampleKey, sampleReading } from '../storage/store-records.fixture.ts';
import { type Sink, SinkError } from './sink.ts';
import { SINK_ALARM_SUBJECT, SinkAlarms, sinkAlarmRule } from './sink-alarms.ts';
import type { SinkStatus } from './sink-runner.ts';
import { startSinkService } from './sink-service.ts';

const logger = pino({ level: 'silent' });
const fresh = freshSqlite('sink-service');
let db: SqliteAdapters;

beforeEach(async () => {
  db = fresh();
  await db.store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
});
afterEach(async () => {
  await db.store.close();
});

const config = { alarmAfterMinutes: 15, maxOutbox: 1000, timeoutMs: 5000, retryMaxMs: 1000 };

function sink(name: string, deliver: Sink['deliver']): Sink {
  return {
    name,
    kind: 'influxdb',
    target: 'https://127.0.0.1:1/write',
    batchSize: 100,
    minIntervalMs: 0,
    devices: null,
    deliver,
  };
}

async function until(what: string, cond: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 15_000;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

describe('sink service', () => {
  it('delivers after a restart what a failing sink had queued (the outbox is durable)', async () => {
    const down = await startSinkService({
      sinks: [
        sink('influxdb', async () => Promise.reject(new SinkError('VIGIL_ERR_SINK_UNAVAILABLE', 'down'))),
      ],
      config,
      outbox: db.sinkOutbox,
      alarms: db.alarms,
      logger,
      clock: Date.now,
    });
    await db.store.writeBatch(
      sampleBatch({ readings: [1, 2, 3].map((s) => sampleReading('truck-0001', s)) }),
    );
    down.wake();
    await until('a failure', async () => ((await down.status())[0]?.failures ?? 0) > 0);
    await down.stop();
    const got: number[] = [];
    const up = await startSinkService({
      sinks: [sink('influxdb', async (batch) => void got.push(...batch.map((r) => r.seq)))],
      config,
      outbox: db.sinkOutbox,
      alarms: db.alarms,
      logger,
      clock: Date.now,
    });
    try {
      await until('delivered', async () => got.length === 3);
      assert.deepEqual(got, [1, 2, 3]);
    } finally {
      await up.stop();
    }
  });

  it('with no sink configured, queues nothing', async () => {
    const none = await startSinkService({
      sinks: [],
      config,
      outbox: db.sinkOutbox,
      alarms: db.alarms,
      logger,
      clock: Date.now,
    });
    await db.store.writeBatch(sampleBatch({ readings: [sampleReading('truck-0001', 1)] }));
    assert.deepEqual(await db.sinkOutbox.listTargets(), []);
    assert.deepEqual(await none.status(), []);
    await none.stop();
  });
});

describe('sink alarms', () => {
  const T = 1_795_305_600_000;
  const status = (over: Partial<SinkStatus>): SinkStatus => ({
    name: 'influxdb',
    kind: 'influxdb',
    target: 'https://influx.example:8086/write (db vigil)',
    state: 'failing',
    delivered: 0,
    failures: 12,
    refused: 0,
    lastSuccessAt: null,
    lastFailureAt: T,
    lastError: 'VIGIL_ERR_SINK_UNAVAILABLE: connect ECONNREFUSED',
    failingSince: T,
    nextAttemptAt: T + 1000,
    outbox: { pending: 420, dropped: 0, oldestReceivedAt: T },
    ...over,
  });
  const active = () =>
    db.alarms.list({ rule: sinkAlarmRule('influxdb'), subject: SINK_ALARM_SUBJECT, state: 'active' });

  it('raises a warning once a sink has failed for alarmAfterMinutes, and resolves it when it delivers', async () => {
    let now = T + 14 * 60_000;
    const alarms = new SinkAlarms(db.alarms, 15 * 60_000, () => now);
    await alarms.apply([status({})]);
    assert.equal((await active()).length, 0, 'not before 15 minutes');
    now = T + 15 * 60_000;
    await alarms.apply([status({})]);
    const [a] = await active();
    assert.ok(a);
    assert.equal(a.severity, 'warning');
    assert.equal(a.startedAt, T);
    assert.match(a.message, /sink influxdb .* failing for 15 min, 420 readings waiting/);
    assert.ok(!JSON.stringify(a).includes('password'));
    now = T + 20 * 60_000;
    await alarms.apply([status({ failures: 30 })]);
    assert.equal((await active()).length, 1, 'one alarm while it goes on');
    await alarms.apply([status({ state: 'ok', failingSince: null, lastSuccessAt: now })]);
    assert.equal((await active()).length, 0);
    const [resolved] = await db.alarms.list({ rule: sinkAlarmRule('influxdb'), state: 'resolved' });
    assert.equal(resolved?.resolvedAt, now);
  });
});
