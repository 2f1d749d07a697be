import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEventBody, SAMPLE_SCHEMAS } from '../../protocol/bodies.ts';
import { createRng } from '../../random/rng.ts';
import type { DeviceEvent } from './events.ts';
import { distanceToRouteKm, routeBetween } from './routes.ts';
import { TOKEN_ALPHABET } from './shipment-ids.ts';
import {
  createTruck,
  NO_TRUCK_INCIDENTS,
  type TruckModel,
  type TruckOptionsInput,
  type VaccineSample,
} from './vaccine-truck.ts';

const START = Date.UTC(2026, 5, 1, 6, 0, 0);
const MIN = 60_000;

function truck(seed: number, options: TruckOptionsInput = {}, from = 'nairobi', to = 'mombasa'): TruckModel {
  return createTruck({
    id: `truck-${seed}`,
    route: routeBetween(from, to),
    rng: createRng(seed),
    startTs: START,
    options,
  });
}

interface Run {
  samples: VaccineSample[];
  events: DeviceEvent[];
  connected: boolean[];
  snapshots: ReturnType<TruckModel['snapshot']>[];
}

function run(t: TruckModel, hours: number, stepMin = 1): Run {
  const out: Run = { samples: [], events: [], connected: [], snapshots: [] };
  for (let m = 0; m <= hours * 60; m += stepMin) {
    const r = t.step(START + m * MIN);
    out.samples.push(r.sample);
    out.events.push(...r.events);
    out.connected.push(r.connected);
    out.snapshots.push(t.snapshot());
  }
  return out;
}

const quiet: TruckOptionsInput = { incidents: NO_TRUCK_INCIDENTS };
const tokenRe = new RegExp(`^[${TOKEN_ALPHABET}]{8}$`);

describe('vaccine truck', () => {
  it('produces identical readings and events for the same seed and step times', () => {
    assert.deepEqual(run(truck(7), 12).samples, run(truck(7), 12).samples);
    assert.deepEqual(run(truck(7), 12).events, run(truck(7), 12).events);
    assert.notDeepEqual(run(truck(8), 2).samples, run(truck(7), 2).samples);
  });

  it('emits dispatch with a batch and a delivery token before anything else', () => {
    const t = truck(1, { forceExcursion: true, incidents: { doorOpenPerHour: 50, powerOutagePerHour: 50 } });
    const first = t.step(START);
    const dispatch = first.events[0];
    assert.ok(dispatch && dispatch.type === 'dispatch');
    assert.equal(dispatch.ts, START);
    assert.match(dispatch.batch, /^LOT-2026-[A-Z2-9]{6}$/);
    assert.match(dispatch.token, tokenRe);
    assert.equal(dispatch.shipment, 'Nairobi → Mombasa');
    assert.equal(first.events.length, 1);
  });

  it('keeps the load within 2–8 °C for 24 h at 1-minute steps when no incident is configured', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { samples, events } = run(truck(seed, quiet, 'delhi', 'jaipur'), 24);
      for (const s of samples) {
        assert.ok(s.temp_c >= 2 && s.temp_c <= 8, `seed ${seed}: ${s.temp_c} at ${s.ts}`);
        assert.ok(s.rh_pct >= 40 && s.rh_pct <= 65, `seed ${seed}: rh ${s.rh_pct}`);
        assert.equal(s.power, 'mains');
        assert.equal(s.door, 'closed');
      }
      assert.ok(!events.some((e) => ['door', 'cooling', 'power'].includes(e.type)));
      // the reading is noisy and drifts rather than sitting on the setpoint
      assert.ok(new Set(samples.map((s) => s.temp_c)).size > 100);
    }
  });

  it('rises above 8 °C within the first hour of a forced cooling failure', () => {
    for (const [seed, from, to, start] of [
      [1, 'nairobi', 'mombasa', START],
      [2, 'amsterdam', 'brussels', Date.UTC(2026, 0, 15, 2, 0)], // winter night
    ] as const) {
      const t = createTruck({
        id: 'demo',
        route: routeBetween(from, to),
        rng: createRng(seed),
        startTs: start,
        options: { forceExcursion: true, incidents: NO_TRUCK_INCIDENTS },
      });
      const temps: number[] = [];
      const events: DeviceEvent[] = [];
      for (let m = 0; m <= 60; m++) {
        const r = t.step(start + m * MIN);
        temps.push(r.sample.temp_c);
        events.push(...r.events);
      }
      assert.ok(Math.max(...temps) > 8, `${from}: max ${Math.max(...temps)}`);
      assert.ok(events.some((e) => e.type === 'cooling' && e.state === 'failed'));
    }
  });

  it('drops below 0 °C under forced over-cooling and then recovers', () => {
    const { samples, events } = run(truck(3, { forceExcursion: 'freeze', incidents: NO_TRUCK_INCIDENTS }), 6);
    assert.ok(samples.slice(0, 61).some((s) => s.temp_c < 0));
    assert.deepEqual(
      events.filter((e) => e.type === 'cooling').map((e) => (e.type === 'cooling' ? e.state : '')),
      ['overcooling', 'restored'],
    );
    assert.ok(samples.at(-1)!.temp_c >= 2 && samples.at(-1)!.temp_c <= 8);
  });

  it('produces heat excursions from random cooling failures at a high rate', () => {
    const { samples, events } = run(
      truck(4, { incidents: { ...NO_TRUCK_INCIDENTS, coolingFailurePerHour: 2 } }),
      6,
    );
    assert.ok(events.some((e) => e.type === 'cooling' && e.state === 'failed'));
    assert.ok(samples.some((s) => s.temp_c > 8));
  });

  it('moves along its route, stays on it, delivers and starts the trip back', () => {
    const route = routeBetween('nairobi', 'mombasa');
    const back = routeBetween('mombasa', 'nairobi');
    const { samples, events, snapshots } = run(truck(5, quiet), 24);
    for (const s of samples) assert.ok(distanceToRouteKm(route, s) < 0.05, `${s.lat},${s.lon} off the road`);
    assert.ok(samples.some((s) => s.lat !== samples[0]!.lat));
    // distance along the route never decreases within a trip, and speeds stay realistic
    for (let i = 1; i < snapshots.length; i++) {
      const [a, b] = [snapshots[i - 1]!, snapshots[i]!];
      if (a.route.id === b.route.id) assert.ok(b.km >= a.km);
      assert.ok(b.speedKmh === 0 || (b.speedKmh >= 50 && b.speedKmh <= 90));
    }
    assert.ok(snapshots.some((s) => s.phase === 'stopped'));
    const trip = events.filter((e) => e.type === 'dispatch' || e.type === 'delivery');
    assert.deepEqual(
      trip.slice(0, 3).map((e) => e.type),
      ['dispatch', 'delivery', 'dispatch'],
    );
    const [d1, arrival, d2] = trip as [DeviceEvent, DeviceEvent, DeviceEvent];
    assert.ok(d1.type === 'dispatch' && arrival.type === 'delivery' && d2.type === 'dispatch');
    assert.equal(arrival.batch, d1.batch);
    assert.ok(!('token' in arrival));
    assert.notEqual(d2.batch, d1.batch);
    assert.notEqual(d2.token, d1.token);
    assert.equal(d2.shipment, 'Mombasa → Nairobi');
    // 459 km at 50–90 km/h with breaks: between 5 and 10 hours
    const hours = (arrival.ts - d1.ts) / 3_600_000;
    assert.ok(hours > 5 && hours < 10, `${hours} h`);
    const atArrival = samples.find((s) => s.ts >= arrival.ts)!;
    assert.ok(distanceToRouteKm(back, atArrival) < 0.05);
    assert.ok(
      Math.abs(atArrival.lat - route.to.lat) < 0.001 && Math.abs(atArrival.lon - route.to.lon) < 0.001,
    );
  });

  it('opens the door now and then, warming the load while it is open', () => {
    const { samples, events, snapshots } = run(
      truck(6, { incidents: { ...NO_TRUCK_INCIDENTS, doorOpenPerHour: 1 } }),
      24,
    );
    const doors = events.filter((e) => e.type === 'door').map((e) => (e.type === 'door' ? e.state : ''));
    assert.ok(doors.length >= 4);
    assert.deepEqual(
      doors,
      doors.map((_, i) => (i % 2 === 0 ? 'open' : 'closed')),
    );
    for (let i = 1; i < samples.length; i++) {
      assert.equal(samples[i]!.door, snapshots[i]!.door);
      if (snapshots[i]!.door === 'open') {
        assert.equal(snapshots[i]!.speedKmh, 0);
        if (snapshots[i - 1]!.door === 'open' && snapshots[i]!.ambientC > snapshots[i]!.loadTempC + 1) {
          assert.ok(snapshots[i]!.loadTempC > snapshots[i - 1]!.loadTempC);
        }
      }
    }
  });

  it('runs on battery during power outages and says so in events and samples', () => {
    const { samples, events } = run(
      truck(7, { incidents: { ...NO_TRUCK_INCIDENTS, powerOutagePerHour: 0.5 } }),
      24,
    );
    const power = events.filter((e) => e.type === 'power');
    assert.ok(power.some((e) => e.type === 'power' && e.source !== 'mains'));
    assert.ok(samples.some((s) => s.power === 'battery' || s.power === 'backup'));
    const onBattery = samples.findIndex((s) => s.power === 'battery');
    if (onBattery >= 0 && samples[onBattery + 30]?.power === 'battery') {
      assert.ok(samples[onBattery + 30]!.bat_pct <= samples[onBattery]!.bat_pct);
    }
  });

  it('loses and regains connectivity while it keeps sampling', () => {
    const { samples, connected } = run(
      truck(8, { incidents: { ...NO_TRUCK_INCIDENTS, connectivityLossPerHour: 1 } }),
      12,
    );
    assert.ok(connected.includes(false));
    assert.ok(connected.lastIndexOf(true) > connected.indexOf(false));
    assert.equal(samples.length, connected.length);
    connected.forEach((c, i) => {
      if (!c) assert.ok(samples[i]!.rssi_dbm <= -110);
    });
  });

  it('handles any step size: an hour at once, or a repeated timestamp', () => {
    const t = truck(9, quiet);
    t.step(START);
    const hourLater = t.step(START + 3_600_000);
    assert.ok(hourLater.sample.temp_c >= 2 && hourLater.sample.temp_c <= 8);
    const km = t.snapshot().km;
    // at most 90 km/h, and it moved even if it made a stop
    assert.ok(km > 5 && km <= 90, `${km} km in the first hour`);
    t.step(START + 3_600_000);
    t.step(START);
    assert.equal(t.snapshot().km, km);
  });

  it('emits samples and events that pass the protocol body schemas', () => {
    const { samples, events } = run(
      truck(10, {
        incidents: {
          doorOpenPerHour: 0.5,
          coolingFailurePerHour: 0.2,
          freezePerHour: 0.2,
          powerOutagePerHour: 0.5,
          connectivityLossPerHour: 0.5,
        },
      }),
      24,
      5,
    );
    for (const s of samples) {
      const r = SAMPLE_SCHEMAS['vaccine-transport'].safeParse(s);
      assert.ok(r.success, JSON.stringify(s));
      assert.equal(s.temp_c, Math.round(s.temp_c * 100) / 100);
      assert.equal(s.lat, Math.round(s.lat * 1e5) / 1e5);
    }
    assert.ok(new Set(events.map((e) => e.type)).size >= 4);
    for (const e of events) parseEventBody(Buffer.from(JSON.stringify(e)));
  });
});
