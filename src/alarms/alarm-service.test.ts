import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { presetProfile, resolveProfile } from '../coldchain/profiles.ts';
import type { DeviceProfile } from '../protocol/device-profile.ts';
import { alarmServiceHarness, at, brief, MIN, T0 } from './alarm-service.fixture.ts';
import type { SubjectConfig } from './alarm-service.ts';
import type { AlarmStore } from './alarm-store.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-alarm-service-'));
after(() => rmSync(root, { recursive: true, force: true }));
const harness = (devices: Record<string, DeviceProfile>) => alarmServiceHarness(root, devices);

/** Refrigerated, but the heat alarm after 30 min (short series). */
const SHORT_HEAT = resolveProfile({ preset: 'refrigerated', heat: { durationMs: 30 * MIN } });

describe('alarm service', () => {
  it('persists opened, updated and resolved transitions of one alarm under one id', async () => {
    const h = await harness({ 'fridge-01': 'temperature-probe' });
    const svc = h.service({ subjectSource: () => ({ profile: SHORT_HEAT }) });
    await svc.start();
    await h.live(svc, 'fridge-01', 0, 9, 5);
    await h.live(svc, 'fridge-01', 10, 44, 9);
    const [opened] = await h.all('fridge-01', ['heat']);
    assert.equal(opened && brief(opened), 'heat open raised=40 resolved=-');
    assert.equal(opened?.peak, 9);
    assert.equal(opened?.kind, 'rule');
    await h.live(svc, 'fridge-01', 45, 45, 10.5);
    assert.equal((await h.alarms.get(opened?.id ?? ''))?.peak, 10.5, 'the peak is updated while open');
    await h.live(svc, 'fridge-01', 46, 49, 9);
    await h.live(svc, 'fridge-01', 50, 52, 5);
    const list = await h.all('fridge-01', ['heat']);
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
    const before = await h.all('fridge-02', ['heat']);
    assert.deepEqual(before.map(brief), [
      'heat resolved raised=30 resolved=40',
      'heat open raised=80 resolved=-',
    ]);

    h.now = at(86);
    const second = h.service({ subjectSource: source });
    await second.start();
    const all = await h.all('fridge-02');
    assert.deepEqual(
      await h.all('fridge-02', ['heat']),
      before,
      'nothing opened, nothing changed by the restart',
    );
    assert.deepEqual(
      second
        .openAlarms('fridge-02')
        .map((a) => a.id)
        .sort(),
      all
        .filter((a) => a.state !== 'resolved')
        .map((a) => a.id)
        .sort(),
    );
    await h.live(second, 'fridge-02', 86, 89, 9.5);
    await h.live(second, 'fridge-02', 90, 91, 5);
    const afterwards = await h.all('fridge-02', ['heat']);
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
    const list = await h.all('truck-01', ['heat']);
    assert.deepEqual(list.map(brief), ['heat resolved raised=600 resolved=720 late']);
    assert.equal(list[0]?.detectedAt, at(13 * 60));
    assert.equal(list[0]?.severity, 'critical');
    await svc.stop();
    await h.store.close();
  });

  it('corrects the stored peak and duration of a resolved alarm from backfill, audited, not re-opened', async () => {
    const h = await harness({ 'fridge-06': 'temperature-probe' });
    const svc = h.service({ subjectSource: () => ({ profile: SHORT_HEAT }) });
    await svc.start();
    await h.live(svc, 'fridge-06', 0, 39, 9);
    await h.live(svc, 'fridge-06', 40, 45, 5);
    const [heat] = await h.all('fridge-06', ['heat']);
    assert.equal(heat && brief(heat), 'heat resolved raised=30 resolved=40');
    assert.equal(heat?.peak, 9);
    await h.alarms.acknowledge(heat?.id ?? '', {
      by: 'user:q',
      at: h.now,
      reason: 'seen',
      meaning: 'reviewed',
    });
    // a buffered envelope arrives: a hotter reading inside the excursion and one just before it
    h.now = at(60);
    await h.deliver(svc, 'fridge-06', [
      { ts: at(20.5), data: { temp_c: 11.5 } },
      { ts: at(-0.5), data: { temp_c: 9.2 } },
    ]);
    const fixed = await h.alarms.get(heat?.id ?? '');
    assert.deepEqual(
      [fixed?.state, fixed?.peak, fixed?.startedAt, fixed?.raisedAt, fixed?.resolvedAt, fixed?.ack?.by],
      ['resolved', 11.5, at(-0.5), at(30), at(40), 'user:q'],
    );
    assert.match(fixed?.message ?? '', /for 40 min 30 s.*peak 11\.5 °C/);
    const audit = await h.store.queryAudit({ action: 'alarm.correct' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.object, heat?.id);
    assert.deepEqual(audit[0]?.detail['changes'], {
      started_at: [new Date(at(0)).toISOString(), new Date(at(-0.5)).toISOString()],
      peak: [9, 11.5],
    });
    assert.deepEqual(
      svc.openAlarms('fridge-06').filter((a) => a.rule === 'heat'),
      [],
    );
    await svc.stop();
    await h.store.close();
  });

  it('keeps an alarm that backfill disproves, marked disproved with the reason and the time', async () => {
    const h = await harness({ 'fridge-07': 'temperature-probe' });
    const svc = h.service({ subjectSource: () => ({ profile: SHORT_HEAT }) });
    await svc.start();
    // 9 °C, then the probe is silent from 10 to 35 min: the excursion runs on across the gap
    await h.live(svc, 'fridge-07', 0, 10, 9);
    await h.live(svc, 'fridge-07', 35, 38, 9);
    const [raised] = await h.all('fridge-07', ['heat']);
    assert.equal(raised && brief(raised), 'heat open raised=35 resolved=-');
    // the buffered readings of the gap arrive: in range all along
    h.now = at(40);
    await h.deliver(
      svc,
      'fridge-07',
      Array.from({ length: 24 }, (_, i) => ({ ts: at(11 + i), data: { temp_c: 5 } })),
    );
    const kept = await h.alarms.get(raised?.id ?? '');
    assert.equal(kept?.state, 'resolved');
    assert.equal(kept?.raisedAt, raised?.raisedAt, 'the facts it was raised on are kept');
    assert.equal(kept?.message, raised?.message);
    assert.equal(kept?.disproved?.at, at(40));
    assert.match(
      kept?.disproved?.reason ?? '',
      /^Readings that arrived later show: Temperature above 8\.0 °C for 11 min/,
    );
    const audit = await h.store.queryAudit({ action: 'alarm.disprove' });
    assert.ok(audit.some((e) => e.object === raised?.id && e.detail['reason'] === kept?.disproved?.reason));
    // the excursion from 35 min goes on; it raises its own alarm when it reaches 30 min
    await h.live(svc, 'fridge-07', 39, 66, 9);
    assert.deepEqual((await h.all('fridge-07', ['heat'])).map(brief), [
      'heat resolved raised=35 resolved=11',
      'heat open raised=65 resolved=-',
    ]);
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
    assert.deepEqual((await h.all('truck-04')).map(brief), [
      'critical:below open raised=5 resolved=-',
      'warning:below open raised=5 resolved=-',
      'freeze open raised=60 resolved=-',
    ]);
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
    // every alarm of the refrigerated rules is resolved; none is disproved by the new profile
    assert.deepEqual(
      (await h.all('truck-04')).map((a) => `${a.rule} ${a.state}${a.disproved ? ' disproved' : ''}`),
      ['critical:below resolved', 'warning:below resolved', 'freeze resolved'],
    );
    await h.live(svc, 'truck-04', 71, 75, -20);
    assert.equal((await h.all('truck-04')).length, 3, 'no freeze rule for a frozen profile');
    // warning above -15 °C after 15 min, critical after 30, regulatory heat after 1 h
    await h.live(svc, 'truck-04', 76, 140, -10);
    assert.deepEqual(
      (await h.all('truck-04', ['freeze', 'heat', 'warning:above', 'critical:above'])).map(
        (a) => `${a.rule} ${a.state} raised=${(a.raisedAt - T0) / MIN}`,
      ),
      [
        'freeze resolved raised=60',
        'warning:above open raised=91',
        'critical:above open raised=106',
        'heat open raised=136',
      ],
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
      correct: (id, p, t) => h.alarms.correct(id, p, t),
      disprove: (id, d, r, t) => h.alarms.disprove(id, d, r, t),
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
