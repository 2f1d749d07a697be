import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AlarmRecord, AlarmStore } from '../alarms/alarm-store.ts';
import { presetProfile, resolveProfile } from '../coldchain/profiles.ts';
import { createRng, gaussian } from '../sim/model/rng.ts';
import { SqliteStore } from '../storage/adapters/sqlite-store.ts';
import type { MessageRecord, Profile, ReadingRecord } from '../storage/store.ts';
import { sampleDevice, sampleKey } from '../storage/store-contract.ts';
import {
  type AlarmService,
  type AlarmServiceOptions,
  createAlarmService,
  type SubjectConfig,
} from './alarm-service.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-alarm-service-'));
after(() => rmSync(root, { recursive: true, force: true }));

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 6, 0, 0);
const at = (minute: number) => T0 + minute * MIN;

/** Refrigerated, but the heat alarm after 30 min (short series). */
const SHORT_HEAT = resolveProfile({ preset: 'refrigerated', heat: { durationMs: 30 * MIN } });

let dbs = 0;

/** A fresh encrypted store, a settable clock and a way to deliver what the pipeline would. */
async function harness(devices: Record<string, Profile>) {
  const store = SqliteStore.open({ path: join(root, `db-${++dbs}.sqlite`), key: randomBytes(32) });
  await store.migrate();
  for (const [id, profile] of Object.entries(devices)) {
    await store.addDevice(sampleDevice(id, { profile }), sampleKey(id));
  }
  const errors: unknown[] = [];
  const h = {
    store,
    alarms: store.alarms(),
    now: T0,
    errors,
    seq: 0,
    service(over: Partial<AlarmServiceOptions> = {}): AlarmService {
      return createAlarmService({
        store,
        alarms: h.alarms,
        logger: { error: (o: unknown) => errors.push(o), warn: () => {}, debug: () => {} },
        clock: () => h.now,
        tickMs: 0,
        // these series are synthetic constants: the sensor-fault rules would call them stuck
        sensorFaults: false,
        ...over,
      });
    },
    /** Stores one envelope's samples (and events) and hands them to the service, like the pipeline. */
    async deliver(
      svc: AlarmService,
      deviceId: string,
      samples: { ts: number; data: Record<string, unknown> }[],
      events: { ts: number; body: Record<string, unknown> }[] = [],
    ) {
      const readings: ReadingRecord[] = [];
      const messages: MessageRecord[] = [];
      const seq = ++h.seq;
      samples.forEach((s, idx) => {
        readings.push({
          deviceId,
          seq,
          idx,
          ts: s.ts,
          receivedAt: h.now,
          backfill: h.now - s.ts > 120_000,
          data: s.data,
        });
      });
      for (const e of events) {
        messages.push({
          deviceId,
          seq: ++h.seq,
          channel: 'events',
          ts: e.ts,
          receivedAt: h.now,
          body: e.body,
        });
      }
      await store.writeBatch({ readings, messages, replayStates: [], lastSeen: [] });
      svc.onAccepted({ deviceId, channel: 'telemetry', seq, readings, messages });
      await svc.idle();
    },
    /** One reading a minute, each delivered live (the clock at its timestamp). */
    async live(svc: AlarmService, deviceId: string, from: number, to: number, temp: number) {
      for (let m = from; m <= to; m++) {
        h.now = at(m) + 1000;
        await h.deliver(svc, deviceId, [{ ts: at(m), data: { temp_c: temp } }]);
      }
    },
    async all(subject: string): Promise<AlarmRecord[]> {
      return (await h.alarms.list({ subject, limit: 1000 })).sort((a, b) => a.raisedAt - b.raisedAt);
    },
  };
  return h;
}

const brief = (a: AlarmRecord) =>
  `${a.rule} ${a.state} raised=${(a.raisedAt - T0) / MIN} resolved=${a.resolvedAt === null ? '-' : (a.resolvedAt - T0) / MIN}${a.detectedLate ? ' late' : ''}`;

describe('alarm service', () => {
  it('persists opened, updated and resolved transitions of one alarm under one id', async () => {
    const h = await harness({ 'fridge-01': 'temperature-probe' });
    const svc = h.service({ subjectSource: () => ({ profile: SHORT_HEAT }) });
    await svc.start();
    await h.live(svc, 'fridge-01', 0, 9, 5);
    await h.live(svc, 'fridge-01', 10, 44, 9);
    const [opened] = await h.all('fridge-01');
    assert.equal(opened && brief(opened), 'heat open raised=40 resolved=-');
    assert.equal(opened?.peak, 9);
    assert.equal(opened?.kind, 'rule');
    await h.live(svc, 'fridge-01', 45, 45, 10.5);
    assert.equal((await h.alarms.get(opened?.id ?? ''))?.peak, 10.5, 'the peak is updated while open');
    await h.live(svc, 'fridge-01', 46, 49, 9);
    await h.live(svc, 'fridge-01', 50, 52, 5);
    const list = await h.all('fridge-01');
    assert.deepEqual(list.map(brief), ['heat resolved raised=40 resolved=50']);
    assert.equal(list[0]?.id, opened?.id);
    assert.equal(list[0]?.peak, 10.5);
    assert.deepEqual(h.errors, []);
    await svc.stop();
    await h.store.close();
  });

  it('continues its alarms after a restart without opening them again', async () => {
    const h = await harness({ 'fridge-02': 'temperature-probe' });
    const source = () => ({ profile: SHORT_HEAT });
    const first = h.service({ subjectSource: source });
    await first.start();
    await h.live(first, 'fridge-02', 0, 39, 9);
    await h.live(first, 'fridge-02', 40, 49, 5);
    await h.live(first, 'fridge-02', 50, 85, 9);
    await first.stop();
    const before = await h.all('fridge-02');
    assert.deepEqual(before.map(brief), [
      'heat resolved raised=30 resolved=40',
      'heat open raised=80 resolved=-',
    ]);

    h.now = at(86);
    const second = h.service({ subjectSource: source });
    await second.start();
    assert.deepEqual(await h.all('fridge-02'), before, 'nothing opened, nothing changed by the restart');
    assert.deepEqual(
      second.openAlarms('fridge-02').map((a) => a.id),
      [before[1]?.id],
    );
    await h.live(second, 'fridge-02', 86, 89, 9.5);
    await h.live(second, 'fridge-02', 90, 91, 5);
    const afterwards = await h.all('fridge-02');
    assert.deepEqual(afterwards.map(brief), [
      'heat resolved raised=30 resolved=40',
      'heat resolved raised=80 resolved=90',
    ]);
    assert.equal(afterwards[1]?.id, before[1]?.id);
    assert.equal(afterwards[1]?.detectedAt, before[1]?.detectedAt);
    assert.equal(afterwards[1]?.peak, 9.5);
    assert.deepEqual(h.errors, []);
    await second.stop();
    await h.store.close();
  });

  it('raises a heat alarm in the past from backfilled readings, marked detected late', async () => {
    const h = await harness({ 'truck-01': 'vaccine-transport' });
    const svc = h.service();
    await svc.start();
    h.now = at(13 * 60);
    // 12 h of buffered samples at 9 °C every 10 min, then back in range, in three envelopes
    const series = Array.from({ length: 13 * 6 + 1 }, (_, i) => ({
      ts: at(i * 10),
      data: { temp_c: i * 10 < 12 * 60 ? 9 : 5 },
    }));
    await h.deliver(svc, 'truck-01', series.slice(0, 30));
    await h.deliver(svc, 'truck-01', series.slice(30, 60));
    await h.deliver(svc, 'truck-01', series.slice(60));
    const list = await h.all('truck-01');
    assert.deepEqual(list.map(brief), ['heat resolved raised=600 resolved=720 late']);
    assert.equal(list[0]?.detectedAt, at(13 * 60));
    assert.equal(list[0]?.severity, 'critical');
    await svc.stop();
    await h.store.close();
  });

  it('holds a data gap seen between envelopes of a backlog until the next tick confirms it', async () => {
    const h = await harness({ 'truck-05': 'vaccine-transport' });
    const svc = h.service();
    await svc.start();
    h.now = at(5 * 60);
    const series = Array.from({ length: 25 }, (_, i) => ({ ts: at(i * 10), data: { temp_c: 5 } }));
    await h.deliver(svc, 'truck-05', series.slice(0, 10));
    assert.deepEqual(await h.all('truck-05'), [], 'silent only between envelopes');
    await h.deliver(svc, 'truck-05', series.slice(10, 20));
    // the rest never comes: the gap after minute 190 is real
    await svc.tick();
    assert.deepEqual((await h.all('truck-05')).map(brief), ['data-gap open raised=220 resolved=- late']);
    await svc.stop();
    await h.store.close();
  });

  it('opens a data-gap alarm on the clock and resolves it when backfill closes the gap', async () => {
    const h = await harness({ 'truck-02': 'vaccine-transport' });
    const svc = h.service();
    await svc.start();
    await h.live(svc, 'truck-02', 0, 10, 5);
    h.now = at(40) + 1000;
    await svc.tick();
    assert.deepEqual((await h.all('truck-02')).map(brief), ['data-gap open raised=40 resolved=-']);
    h.now = at(46);
    const backfill = Array.from({ length: 35 }, (_, i) => ({ ts: at(11 + i), data: { temp_c: 5 } }));
    await h.deliver(svc, 'truck-02', backfill);
    assert.deepEqual((await h.all('truck-02')).map(brief), ['data-gap resolved raised=40 resolved=11']);
    await svc.tick();
    assert.equal((await h.all('truck-02')).length, 1);
    await svc.stop();
    await h.store.close();
  });

  it('turns door, power and battery events into readings for their rules', async () => {
    const h = await harness({ 'truck-03': 'vaccine-transport' });
    const svc = h.service();
    await svc.start();
    await h.live(svc, 'truck-03', 0, 2, 5);
    h.now = at(3);
    await h.deliver(svc, 'truck-03', [], [{ ts: at(3), body: { type: 'door', state: 'open' } }]);
    await h.live(svc, 'truck-03', 4, 9, 5);
    h.now = at(10);
    await h.deliver(svc, 'truck-03', [], [{ ts: at(10), body: { type: 'door', state: 'closed' } }]);
    const list = await h.all('truck-03');
    assert.deepEqual(
      list.map((a) => a.rule),
      ['door-open'],
    );
    assert.equal(list[0]?.state, 'resolved');
    await svc.stop();
    await h.store.close();
  });

  it("applies a shipment's profile with configureSubject and resolves alarms its rules no longer have", async () => {
    const h = await harness({ 'truck-04': 'vaccine-transport' });
    const svc = h.service();
    await svc.start();
    // a frozen shipment judged by the refrigerated default: freeze alarm after 60 min at -20 °C
    await h.live(svc, 'truck-04', 0, 70, -20);
    assert.deepEqual((await h.all('truck-04')).map(brief), ['freeze open raised=60 resolved=-']);
    const config: SubjectConfig = {
      profile: presetProfile('frozen'),
      route: [
        { lat: 52.37, lon: 4.89 },
        { lat: 51.92, lon: 4.48 },
      ],
      destination: { lat: 51.92, lon: 4.48 },
      since: at(0),
    };
    await svc.configureSubject('truck-04', config);
    assert.equal(svc.subjectConfig('truck-04'), config);
    assert.deepEqual(
      (await h.all('truck-04')).map((a) => `${a.rule} ${a.state}`),
      ['freeze resolved'],
    );
    await h.live(svc, 'truck-04', 71, 75, -20);
    assert.equal((await h.all('truck-04')).length, 1, 'no freeze rule for a frozen profile');
    // heat above -15 °C for 1 h
    await h.live(svc, 'truck-04', 76, 140, -10);
    assert.deepEqual(
      (await h.all('truck-04')).map((a) => `${a.rule} ${a.state}`),
      ['freeze resolved', 'heat open'],
    );
    // the shipment ends: back to the default rule set
    await svc.configureSubject('truck-04', null);
    assert.equal(svc.subjectConfig('truck-04'), undefined);
    assert.deepEqual(h.errors, []);
    await assert.rejects(
      svc.configureSubject('truck-04', { destination: { lat: 123, lon: 0 } }),
      /destination/,
    );
    await svc.stop();
    await h.store.close();
  });

  /** A truck's logger, one reading a minute: 5 °C with 0.15 °C noise, then what `at` says. */
  async function loggerMinutes(
    h: Awaited<ReturnType<typeof harness>>,
    svc: AlarmService,
    from: number,
    to: number,
    temp: (minute: number) => number | undefined = () => undefined,
  ) {
    const rng = createRng(`logger-${from}`);
    for (let m = from; m <= to; m += 2) {
      const samples = [m, m + 1]
        .filter((k) => k <= to)
        .map((k) => ({
          ts: at(k),
          data: { temp_c: Math.round((temp(k) ?? 5 + gaussian(rng, 0, 0.15)) * 100) / 100 },
        }));
      h.now = at(Math.min(m + 1, to)) + 1000;
      await h.deliver(svc, 'truck-09', samples);
    }
  }
  const rising = (m: number) => (m >= 180 && m < 195 ? 5 + 0.15 * (m - 180) : undefined);

  it('explains a statistical alarm for a cooling failure still inside 2-8 °C, with its facts in the detail', async () => {
    const h = await harness({ 'truck-09': 'vaccine-transport' });
    const svc = h.service();
    await svc.start();
    await loggerMinutes(h, svc, 0, 194, rising);
    const stat = (await h.all('truck-09')).filter((a) => a.kind === 'statistical');
    assert.equal(stat.length, 1);
    const a = stat[0] as AlarmRecord;
    assert.deepEqual([a.rule, a.unit, a.severity], ['anomaly', 'score', 'warning']);
    assert.ok(a.raisedAt > at(182) && a.raisedAt <= at(194), brief(a));
    assert.match(
      a.message,
      /^Temperature rising 0\.1\d °C\/min \(6-hour range -?0\.0\d\d to 0\.0\d\d °C\/min\), now \d\.\d °C; no range limit crossed$/,
    );
    const detail = a.detail as { model: string; features: Record<string, { z: number }> };
    assert.equal(detail.model, 'robust-z');
    assert.ok((detail.features['slope']?.z ?? 0) > 6);
    // the rules saw nothing: still inside the range
    assert.deepEqual(
      (await h.all('truck-09')).filter((x) => x.kind === 'rule'),
      [],
    );
    await svc.stop();
    await h.store.close();
  });

  it('rebuilds a monitor from its history window after a restart: the open episode stays one alarm', async () => {
    const h = await harness({ 'truck-09': 'vaccine-transport' });
    const first = h.service();
    await first.start();
    await loggerMinutes(h, first, 0, 194, rising);
    const [opened] = (await h.all('truck-09')).filter((a) => a.kind === 'statistical');
    assert.ok(opened);
    await first.stop();

    const svc = h.service();
    await svc.start();
    assert.deepEqual(
      svc.openAlarms('truck-09').map((a) => a.id),
      [opened.id],
    );
    // back to normal: the held episode resolves, and nothing new opens
    await loggerMinutes(h, svc, 195, 300);
    const stat = (await h.all('truck-09')).filter((a) => a.kind === 'statistical');
    assert.deepEqual(
      stat.map((a) => [a.id, a.state]),
      [[opened.id, 'resolved']],
    );
    assert.deepEqual(h.errors, []);
    await svc.stop();
    await h.store.close();
  });

  it('a restart on normal data raises no statistical alarm, and the rules cover a new device while it warms up', async () => {
    const h = await harness({ 'truck-09': 'vaccine-transport', 'truck-10': 'vaccine-transport' });
    const first = h.service({ sensorFaults: true });
    await first.start();
    await loggerMinutes(h, first, 0, 240);
    await first.stop();
    const svc = h.service({ sensorFaults: true });
    await svc.start();
    await loggerMinutes(h, svc, 241, 400);
    assert.deepEqual(await h.all('truck-09'), []);
    // a logger with no history, stuck at 4.00 °C: the flat-line rule needs no warm-up
    for (let m = 0; m <= 10; m++) {
      h.now = at(m) + 1000;
      await h.deliver(svc, 'truck-10', [{ ts: at(m), data: { temp_c: 4 } }]);
    }
    const stuck = await h.all('truck-10');
    assert.deepEqual(
      stuck.map((a) => [a.rule, a.kind, a.message]),
      [['flat-line', 'rule', 'Sensor reads a constant 4.00 °C for 5 min: stuck or disconnected']],
    );
    await svc.stop();
    await h.store.close();
  });

  it('logs a failing alarm store and never throws into the pipeline', async () => {
    const h = await harness({ 'fridge-04': 'temperature-probe' });
    const broken: AlarmStore = {
      ...h.alarms,
      open: async () => {
        throw new Error('disk full');
      },
      list: (q) => h.alarms.list(q),
      get: (id) => h.alarms.get(id),
      update: (id, p, t) => h.alarms.update(id, p, t),
      resolve: (id, r, t, p) => h.alarms.resolve(id, r, t, p),
      acknowledge: (id, a) => h.alarms.acknowledge(id, a),
    };
    const svc = h.service({ alarms: broken, subjectSource: () => ({ profile: SHORT_HEAT }) });
    await svc.start();
    await h.live(svc, 'fridge-04', 0, 40, 9);
    assert.ok(svc.stats.errors > 0);
    assert.ok(h.errors.length > 0);
    // unknown devices and odd events are ignored quietly
    svc.onAccepted({ deviceId: 'nobody', channel: 'events', seq: 1, readings: [], messages: [] });
    await svc.idle();
    await svc.stop();
    await h.store.close();
  });
});
