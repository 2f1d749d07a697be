/** The alarm service tests' harness: a store, a clock, and delivery as the ingest pipeline does it. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DeviceProfile } from '../protocol/device-profile.ts';
import { openSqliteAdapters } from '../storage/adapters/sqlite-adapters.ts';
import type { MessageRecord, ReadingRecord } from '../storage/store.ts';
import { sampleDevice, sampleKey } from '../storage/store-records.fixture.ts';
import { type AlarmService, type AlarmServiceOptions, createAlarmService } from './alarm-service.ts';
import type { AlarmRecord } from './alarm-store.ts';

export const MIN = 60_000;
export const T0 = Date.UTC(2026, 0, 5, 6, 0, 0);
export const at = (minute: number) => T0 + minute * MIN;

let dbs = 0;

/**
 * A fresh encrypted store (in `root`, which the test file creates and removes), a settable clock
 * and a way to deliver what the pipeline would.
 */
export async function alarmServiceHarness(root: string, devices: Record<string, DeviceProfile>) {
  const { store, alarms } = openSqliteAdapters({
    path: join(root, `db-${++dbs}.sqlite`),
    key: randomBytes(32),
    auditKey: randomBytes(32),
  });
  for (const [id, profile] of Object.entries(devices)) {
    await store.addDevice(sampleDevice(id, { profile }), sampleKey(id));
  }
  const errors: unknown[] = [];
  const h = {
    store,
    alarms,
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
    /** The subject's stored alarms by raise time; only those of `rules` when given. */
    async all(subject: string, rules?: readonly string[]): Promise<AlarmRecord[]> {
      return (await h.alarms.list({ subject, limit: 1000 }))
        .filter((a) => !rules || rules.includes(a.rule))
        .sort((a, b) => a.raisedAt - b.raisedAt || a.rule.localeCompare(b.rule));
    },
  };
  return h;
}

export const brief = (a: AlarmRecord) =>
  `${a.rule} ${a.state} raised=${(a.raisedAt - T0) / MIN} resolved=${a.resolvedAt === null ? '-' : (a.resolvedAt - T0) / MIN}${a.detectedLate ? ' late' : ''}`;

export type AlarmServiceHarness = Awaited<ReturnType<typeof alarmServiceHarness>>;
