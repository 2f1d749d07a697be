import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { MasterKey } from '../keys/master-key.ts';
import type { DeviceProfile } from '../protocol/device-profile.ts';
import { createModel } from '../sim/model/index.ts';
import { openSqliteAdapters } from '../storage/adapters/sqlite-adapters.ts';
import type { SqliteShipmentStore } from '../storage/adapters/sqlite-shipment-store.ts';
import type { SqliteStore } from '../storage/adapters/sqlite-store.ts';
import type { MessageRecord, ReadingRecord } from '../storage/store.ts';
import { DELIVERY_TOKEN_PURPOSE } from './delivery-limiter.ts';
import { custodyDetail, loadShipmentDetail } from './shipment-detail.ts';
import { ShipmentService, type ShipmentServiceDeps } from './shipment-service.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-shipments-'));
const master = new MasterKey(randomBytes(32));
let store: SqliteStore;
let shipments: SqliteShipmentStore;
const T = 1_795_305_600_000; // 2026-11-21T00:00:00Z
const MIN = 60_000;
let now = T;
const clock = () => now;
/** Every logger call, serialised: the token must never show up here. */
const logged: string[] = [];
const asText = (a: unknown[]) =>
  JSON.stringify(a, (_k, v) => (v instanceof Error ? { message: v.message, stack: v.stack } : v));
const logger = {
  info: (...a: unknown[]) => void logged.push(asText(a)),
  warn: (...a: unknown[]) => void logged.push(asText(a)),
  error: (...a: unknown[]) => void logged.push(asText(a)),
};
let seq = 0;

before(async () => {
  ({ store, shipments } = openSqliteAdapters({
    path: join(root, 's.sqlite'),
    key: randomBytes(32),
    auditKey: randomBytes(32),
  }));
});
after(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

async function device(id: string, profile: DeviceProfile = 'vaccine-transport'): Promise<void> {
  await store.addDevice(
    {
      id,
      profile,
      status: 'enabled',
      alg: 'A256GCM',
      currentKid: 1,
      createdAt: T,
      updatedAt: T,
      certSerial: null,
      certNotAfter: null,
      lastSeenAt: null,
    },
    { deviceId: id, kid: 1, secretEnc: randomBytes(48), createdAt: T, status: 'active' },
  );
}

function service(over: Partial<ShipmentServiceDeps> = {}): ShipmentService {
  return new ShipmentService({
    shipments,
    store,
    master,
    clock,
    logger,
    ...over,
  });
}

/** A dispatch event as the pipeline stores it: the token already replaced by its keyed hash. */
function dispatchMessage(
  deviceId: string,
  ts: number,
  batch: string,
  token: string,
  receivedAt = ts,
): MessageRecord {
  return {
    deviceId,
    seq: ++seq,
    channel: 'events',
    ts,
    receivedAt,
    body: {
      type: 'dispatch',
      ts,
      batch,
      token_hash: master.keyedHash(DELIVERY_TOKEN_PURPOSE, token),
      shipment: 'Accra → Kumasi',
    },
  };
}

async function readings(deviceId: string, temps: [number, number][], receivedAt?: number): Promise<void> {
  const s = ++seq;
  const rows: ReadingRecord[] = temps.map(([ts, temp], idx) => ({
    deviceId,
    seq: s,
    idx,
    ts,
    receivedAt: receivedAt ?? ts,
    backfill: receivedAt !== undefined && receivedAt - ts > 60_000,
    data: { temp_c: temp, rh_pct: 50, lat: 5.6 + idx / 1000, lon: -0.2, bat_pct: 90, power: 'mains' },
  }));
  await store.writeBatch({ readings: rows, messages: [], replayStates: [], lastSeen: [] });
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isVigilError(err)) return err.code;
    throw err;
  }
  return 'no error';
}

describe('ShipmentService', () => {
  it('binds a dispatch event to the planned shipment of its device: batch, token hash, in transit', async () => {
    await device('truck-bind');
    const svc = service();
    const s = await svc.create(
      {
        deviceId: 'truck-bind',
        profile: 'refrigerated',
        batches: [{ lot: 'LOT-A1', product: 'MMR', quantity: 400, vvm: 'VVM14' }],
        origin: { name: 'Accra' },
        destination: { name: 'Kumasi' },
      },
      'user:dispatcher',
    );
    assert.match(s.id, /^shp-[a-z2-7]{10}$/);
    assert.equal(s.state, 'planned');
    svc.onMessages([dispatchMessage('truck-bind', T + 5 * MIN, 'LOT-2026-AAAAAA', 'TOKEN123')]);
    await svc.idle();
    const bound = await svc.get(s.id);
    assert.equal(bound.state, 'in_transit');
    assert.equal(bound.dispatch?.at, T + 5 * MIN);
    assert.equal(bound.dispatch?.batchId, 'LOT-2026-AAAAAA');
    assert.equal(bound.dispatch?.tokenHash, master.keyedHash(DELIVERY_TOKEN_PURPOSE, 'TOKEN123'));
    const custody = await svc.custody(s.id);
    assert.deepEqual(
      custody.map((e) => e.action),
      ['shipment.create', 'shipment.dispatch'],
    );
    assert.equal(custody[1]?.actor, 'device:truck-bind');
  });

  it('starts the trip at the dispatch event’s own timestamp: a late dispatch counts the buffered readings', async () => {
    await device('truck-late');
    const svc = service();
    const s = await svc.create({ deviceId: 'truck-late', profile: 'refrigerated' }, 'user:dispatcher');
    const t0 = T + 60 * MIN;
    // Before the trip: not counted even though it is hot.
    await readings('truck-late', [[t0 - 10 * MIN, 30]]);
    // The logger started offline: it reports the dispatch and 2 h of buffered readings 3 h later.
    const arrival = t0 + 3 * 60 * MIN;
    now = arrival;
    const temps: [number, number][] = [];
    for (let i = 0; i <= 24; i++) temps.push([t0 + i * 5 * MIN, i >= 6 && i < 12 ? 12 : 5]);
    await readings('truck-late', temps, arrival);
    svc.onMessages([dispatchMessage('truck-late', t0, 'LOT-2026-LATE01', 'LATETOKEN', arrival)]);
    await svc.idle();
    const d = await loadShipmentDetail({ service: svc, store, clock }, s.id);
    assert.equal(d.shipment.state, 'in_transit');
    assert.deepEqual(d.window, { from: t0, to: arrival });
    assert.equal(d.summary.readingCount, 25);
    assert.equal(d.summary.excursions.length, 1);
    assert.equal(d.summary.excursions[0]?.kind, 'above');
    assert.equal(d.summary.excursions[0]?.start, t0 + 30 * MIN);
    assert.equal(d.summary.timeAboveMs, 30 * MIN);
    assert.equal(d.summary.maxC, 12);
    assert.ok(d.summary.mktC !== null && d.summary.mktC > 5 && d.summary.mktC < 12);
    const dispatched = (await svc.custody(s.id)).find((e) => e.action === 'shipment.dispatch');
    assert.equal(dispatched?.at, t0);
    assert.equal(dispatched?.detail.reported_late, true);
    // custody details, as every view shows them, carry ISO 8601 times, never epoch milliseconds
    const shown = d.custody.find((e) => e.action === 'shipment.dispatch')?.detail;
    assert.equal(shown?.at, new Date(t0).toISOString());
    assert.equal(shown?.received_at, new Date(arrival).toISOString());
    assert.equal(custodyDetail({ at: t0, fix_at: null, batch: 'L1' }).at, new Date(t0).toISOString());
  });

  it('auto-creates a refrigerated shipment for an unplanned dispatch; the next dispatch closes it undelivered', async () => {
    await device('truck-auto');
    const svc = service();
    svc.onMessages([dispatchMessage('truck-auto', T, 'LOT-2026-AUTO01', 'AUTOTOKEN1')]);
    await svc.idle();
    const [first] = await svc.list({ deviceId: 'truck-auto' });
    assert.equal(first?.state, 'in_transit', logged.join('\n'));
    assert.equal(first?.profile, 'refrigerated');
    assert.equal(first?.origin.name, 'Accra');
    assert.equal(first?.destination.name, 'Kumasi');
    assert.equal(first?.createdBy, 'device:truck-auto');
    // The same dispatch again (a new seq) changes nothing.
    svc.onMessages([dispatchMessage('truck-auto', T, 'LOT-2026-AUTO01', 'AUTOTOKEN1')]);
    svc.onMessages([dispatchMessage('truck-auto', T + 8 * 60 * MIN, 'LOT-2026-AUTO02', 'AUTOTOKEN2')]);
    await svc.idle();
    const list = await svc.list({ deviceId: 'truck-auto' });
    assert.equal(list.length, 2);
    const closed = await svc.get(first?.id ?? '');
    assert.equal(closed.state, 'closed');
    assert.equal(closed.closedAt, T + 8 * 60 * MIN);
    const second = list.find((x) => x.id !== first?.id);
    assert.equal(second?.state, 'in_transit');
    assert.equal(second?.dispatch?.batchId, 'LOT-2026-AUTO02');
    assert.equal(
      await code(svc.deliver(closed.id, 'AUTOTOKEN1', 'user:receiver')),
      'VIGIL_ERR_SHIPMENT_STATE',
    );
  });

  it('records the device’s arrival in the custody record, and ignores dispatches from a vitals monitor', async () => {
    await device('truck-arrive');
    await device('vitals-arrive', 'patient-vitals');
    const svc = service();
    svc.onMessages([
      dispatchMessage('truck-arrive', T, 'LOT-2026-ARRIV1', 'ARRIVETK'),
      dispatchMessage('vitals-arrive', T, 'LOT-2026-VITAL1', 'VITALSTK'),
    ]);
    await svc.idle();
    await readings('truck-arrive', [[T + 60 * MIN, 5]]);
    svc.onMessages([
      {
        deviceId: 'truck-arrive',
        seq: ++seq,
        channel: 'events',
        ts: T + 61 * MIN,
        receivedAt: T + 61 * MIN,
        body: { type: 'delivery', ts: T + 61 * MIN, batch: 'LOT-2026-ARRIV1' },
      },
    ]);
    await svc.idle();
    const [s] = await svc.list({ deviceId: 'truck-arrive' });
    assert.equal(s?.state, 'in_transit', 'arrival is no proof of delivery');
    const arrival = (await svc.custody(s?.id ?? '')).find((e) => e.action === 'shipment.arrive');
    assert.deepEqual(arrival?.detail, { batch: 'LOT-2026-ARRIV1', lat: 5.6, lon: -0.2 });
    assert.equal(arrival?.at, T + 61 * MIN);
    assert.deepEqual(await svc.list({ deviceId: 'vitals-arrive' }), []);
  });

  it('records an earlier trip reported after a later one as a closed trip', async () => {
    await device('truck-order');
    const svc = service();
    svc.onMessages([dispatchMessage('truck-order', T + 10 * 60 * MIN, 'LOT-2026-ORDER2', 'ORDERTOK2')]);
    svc.onMessages([dispatchMessage('truck-order', T, 'LOT-2026-ORDER1', 'ORDERTOK1', T + 11 * 60 * MIN)]);
    await svc.idle();
    const list = await svc.list({ deviceId: 'truck-order' });
    const early = list.find((s) => s.dispatch?.batchId === 'LOT-2026-ORDER1');
    const late = list.find((s) => s.dispatch?.batchId === 'LOT-2026-ORDER2');
    assert.equal(early?.state, 'closed');
    assert.equal(early?.closedAt, T + 10 * 60 * MIN);
    assert.equal(late?.state, 'in_transit');
  });

  it('refuses a wrong token (audited without it), then delivers with the right one at the last GPS fix', async () => {
    await device('truck-deliver');
    const svc = service();
    const s = await svc.create({ deviceId: 'truck-deliver' }, 'user:dispatcher');
    now = T + 20 * 60 * MIN;
    svc.onMessages([dispatchMessage('truck-deliver', now, 'LOT-2026-DELIV1', 'K7QM4ZRT')]);
    await svc.idle();
    await readings('truck-deliver', [
      [now + MIN, 5],
      [now + 2 * MIN, 5.5],
    ]);
    now += 3 * MIN;
    assert.equal(await code(svc.deliver(s.id, 'WRONGTOK', 'user:rita')), 'VIGIL_ERR_DELIVERY_TOKEN');
    assert.equal((await svc.get(s.id)).state, 'in_transit');
    const d = await svc.deliver(s.id, ' K7QM4ZRT ', 'user:rita');
    assert.equal(d.state, 'delivered');
    assert.deepEqual(d.delivery, { at: now, by: 'user:rita', lat: 5.601, lon: -0.2, fixAt: now - MIN });
    assert.equal(await code(svc.deliver(s.id, 'K7QM4ZRT', 'user:rita')), 'VIGIL_ERR_SHIPMENT_STATE');
    const audit = await store.queryAudit({ limit: 1000 });
    const refused = audit.filter((a) => a.action === 'shipment.deliver_refused' && a.object === s.id);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.actor, 'user:rita');
    assert.equal(refused[0]?.detail.failures_for_shipment, 1);
    const delivered = audit.find((a) => a.action === 'shipment.deliver' && a.object === s.id);
    assert.equal(delivered?.actor, 'user:rita');
    // The token, and the wrong guess, appear nowhere: audit, custody record, logs.
    const custody = await svc.custody(s.id);
    for (const text of [JSON.stringify(audit), JSON.stringify(custody), logged.join('\n')]) {
      assert.ok(!text.includes('K7QM4ZRT'), 'token leaked');
      assert.ok(!text.includes('WRONGTOK'), 'wrong token leaked');
      assert.ok(!text.includes(master.keyedHash(DELIVERY_TOKEN_PURPOSE, 'K7QM4ZRT')), 'token hash leaked');
    }
  });

  it("rate-limits a caller's wrong tokens (5 in 15 min → 429 even for the right token), then lets it go", async () => {
    await device('truck-limit');
    const svc = service();
    const s = await svc.create({ deviceId: 'truck-limit' }, 'user:dispatcher');
    now = T + 30 * 60 * MIN;
    svc.onMessages([dispatchMessage('truck-limit', now, 'LOT-2026-LIMIT1', 'RIGHTTOK')]);
    await svc.idle();
    const before = await store.getCounters();
    const delta = async (name: string) => ((await store.getCounters())[name] ?? 0) - (before[name] ?? 0);
    for (let i = 0; i < 5; i++) {
      assert.equal(await code(svc.deliver(s.id, `GUESS00${i}`, 'user:mallory')), 'VIGIL_ERR_DELIVERY_TOKEN');
      now += MIN;
    }
    assert.equal(await code(svc.deliver(s.id, 'RIGHTTOK', 'user:mallory')), 'VIGIL_ERR_LOCKED');
    assert.equal(await code(svc.deliver(s.id, 'GUESS999', 'user:mallory')), 'VIGIL_ERR_LOCKED');
    // The window slides: 15 min after the first failure one attempt is allowed again.
    now = T + 30 * 60 * MIN + 15 * MIN;
    assert.equal((await svc.deliver(s.id, 'RIGHTTOK', 'user:mallory')).state, 'delivered');
    assert.equal(await delta('shipment_delivery_rate_limited'), 2);
    assert.equal(await delta('shipment_delivery_token_wrong'), 5);
    assert.equal(await delta('shipment_delivery_accepted'), 1);
  });

  it("does not let an attacker's wrong tokens block the real receiver of the shipment", async () => {
    await device('truck-dos');
    const svc = service({ deliveryLimit: { maxFailures: 3 } });
    now = T + 35 * 60 * MIN;
    const s = await svc.create({ deviceId: 'truck-dos' }, 'user:dispatcher');
    svc.onMessages([dispatchMessage('truck-dos', now, 'LOT-2026-DOS001', 'REALTOKN')]);
    await svc.idle();
    // Several attacker accounts, each up to its own limit and beyond.
    for (const who of ['user:mallory', 'user:trudy', 'token:0123456789abcdef']) {
      for (let i = 0; i < 5; i++) await code(svc.deliver(s.id, `NOPE000${i}`, who));
    }
    assert.equal(await code(svc.deliver(s.id, 'REALTOKN', 'user:mallory')), 'VIGIL_ERR_LOCKED');
    assert.equal((await svc.deliver(s.id, 'REALTOKN', 'user:rita')).state, 'delivered');
  });

  it('audits every delivery attempt: wrong, held back and accepted, never the token', async () => {
    await device('truck-audit');
    const svc = service({ deliveryLimit: { maxFailures: 2 } });
    now = T + 38 * 60 * MIN;
    const s = await svc.create({ deviceId: 'truck-audit' }, 'user:dispatcher');
    svc.onMessages([dispatchMessage('truck-audit', now, 'LOT-2026-AUDIT1', 'AUDITTOK')]);
    await svc.idle();
    for (const t of ['WRONG001', 'WRONG002', 'WRONG003', 'AUDITTOK'])
      await code(svc.deliver(s.id, t, 'user:eve'));
    await svc.deliver(s.id, 'AUDITTOK', 'user:rita');
    const audit = (await store.queryAudit({ limit: 10_000 })).filter((a) => a.object === s.id);
    assert.deepEqual(
      audit.filter((a) => a.action.startsWith('shipment.deliver')).map((a) => [a.action, a.actor]),
      [
        ['shipment.deliver_refused', 'user:eve'],
        ['shipment.deliver_refused', 'user:eve'],
        ['shipment.deliver_throttled', 'user:eve'],
        ['shipment.deliver_throttled', 'user:eve'],
        ['shipment.deliver', 'user:rita'],
      ],
    );
    const text = JSON.stringify(audit);
    for (const t of ['WRONG00', 'AUDITTOK']) assert.ok(!text.includes(t), t);
  });

  it('rate-limits one caller across shipments', async () => {
    await device('truck-lim-a');
    await device('truck-lim-b');
    const svc = service({ deliveryLimit: { maxFailures: 3 } });
    now = T + 40 * 60 * MIN;
    const a = await svc.create({ deviceId: 'truck-lim-a' }, 'user:dispatcher');
    const b = await svc.create({ deviceId: 'truck-lim-b' }, 'user:dispatcher');
    svc.onMessages([
      dispatchMessage('truck-lim-a', now, 'LOT-2026-LIMA01', 'TOKENAAA'),
      dispatchMessage('truck-lim-b', now, 'LOT-2026-LIMB01', 'TOKENBBB'),
    ]);
    await svc.idle();
    await code(svc.deliver(a.id, 'NOPE0001', 'user:mallory'));
    await code(svc.deliver(a.id, 'NOPE0002', 'user:mallory'));
    await code(svc.deliver(b.id, 'NOPE0003', 'user:mallory'));
    assert.equal(await code(svc.deliver(b.id, 'TOKENBBB', 'user:mallory')), 'VIGIL_ERR_LOCKED');
    // Another receiver is not held back by mallory's guesses.
    assert.equal((await svc.deliver(b.id, 'TOKENBBB', 'user:rita')).state, 'delivered');
  });

  it('records a release or quarantine with reason and meaning once the trip is over; a release is final', async () => {
    await device('truck-decide');
    const svc = service();
    const s = await svc.create({ deviceId: 'truck-decide' }, 'user:dispatcher');
    const decision = {
      state: 'released' as const,
      reason: 'MKT within limits',
      meaning: 'approved' as const,
    };
    assert.equal(await code(svc.decide(s.id, decision, 'user:quinn')), 'VIGIL_ERR_SHIPMENT_STATE');
    now = T + 50 * 60 * MIN;
    svc.onMessages([dispatchMessage('truck-decide', now, 'LOT-2026-DECID1', 'DECIDETK')]);
    await svc.idle();
    await svc.deliver(s.id, 'DECIDETK', 'user:rita');
    assert.equal(
      await code(svc.decide(s.id, { ...decision, reason: '   ' }, 'user:quinn')),
      'VIGIL_ERR_VALIDATION',
    );
    const q = await svc.decide(
      s.id,
      { state: 'quarantined', reason: 'heat excursion under review', meaning: 'impact assessed' },
      'user:quinn',
    );
    assert.equal(q.state, 'quarantined');
    const r = await svc.decide(s.id, decision, 'user:quinn');
    assert.equal(r.state, 'released');
    assert.deepEqual(r.decision, { ...decision, by: 'user:quinn', at: now });
    assert.equal(await code(svc.decide(s.id, decision, 'user:quinn')), 'VIGIL_ERR_SHIPMENT_STATE');
    const actions = (await svc.custody(s.id)).map((e) => e.action);
    assert.deepEqual(actions.slice(-2), ['shipment.decide', 'shipment.decide']);
  });

  it('refuses a shipment for an unknown device, a vitals monitor, or an invalid profile', async () => {
    await device('vitals-ship', 'patient-vitals');
    const svc = service();
    assert.equal(await code(svc.create({ deviceId: 'no-such-device' }, 'cli')), 'VIGIL_ERR_NOT_FOUND');
    assert.equal(await code(svc.create({ deviceId: 'vitals-ship' }, 'cli')), 'VIGIL_ERR_USAGE');
    await device('truck-profile');
    assert.equal(
      await code(svc.create({ deviceId: 'truck-profile', profile: 'tepid' as 'crt' }, 'cli')),
      'VIGIL_ERR_VALIDATION',
    );
    assert.equal(
      await code(svc.create({ deviceId: 'truck-profile', profile: { preset: 'custom', lowerC: 2 } }, 'cli')),
      'VIGIL_ERR_PROFILE',
    );
    const custom = await svc.create(
      { deviceId: 'truck-profile', profile: { preset: 'custom', lowerC: 15, upperC: 30 } },
      'cli',
    );
    assert.deepEqual((await svc.get(custom.id)).profile, { preset: 'custom', lowerC: 15, upperC: 30 });
    assert.equal(await code(svc.get('shp-nothere00')), 'VIGIL_ERR_NOT_FOUND');
  });

  it('tells the rule engine when a shipment goes in transit, and answers its rules config after a restart', async () => {
    await device('truck-hook');
    const seen: string[] = [];
    const svc = service({ onInTransit: (s, p) => void seen.push(`${s.deviceId}:${p.upperC}`) });
    assert.equal(await svc.rulesConfig('truck-hook'), null);
    await svc.create(
      {
        deviceId: 'truck-hook',
        profile: 'frozen',
        destination: { name: 'Tamale', lat: 9.4, lon: -0.85 },
        plannedRoute: [
          { lat: 5.6, lon: -0.2 },
          { lat: 9.4, lon: -0.85 },
        ],
      },
      'cli',
    );
    const at = T + 70 * 60 * MIN;
    svc.onMessages([dispatchMessage('truck-hook', at, 'LOT-2026-HOOK01', 'HOOKTOKN')]);
    await svc.idle();
    assert.deepEqual(seen, ['truck-hook:-15']);
    const config = await svc.rulesConfig('truck-hook');
    assert.equal(config?.profile.upperC, -15);
    assert.equal(config?.since, at);
    assert.deepEqual(config?.destination, { lat: 9.4, lon: -0.85 });
    assert.equal(config?.route?.length, 2);
  });

  it('the demo truck with a forced excursion gets a heat excursion in its shipment', async () => {
    await device('sim-truck-test');
    const svc = service();
    const start = T + 100 * 60 * MIN;
    const model = createModel('vaccine-transport', {
      id: 'sim-truck-test',
      seed: 'demo',
      startTs: start,
      forceExcursion: true,
    });
    const samples: [number, number][] = [];
    for (let t = start; t <= start + 2 * 60 * MIN; t += MIN) {
      const step = model.step(t);
      for (const ev of step.events) {
        if (ev.type === 'dispatch')
          svc.onMessages([dispatchMessage('sim-truck-test', ev.ts, ev.batch, ev.token)]);
      }
      samples.push([t, step.sample.temp_c as number]);
    }
    await readings('sim-truck-test', samples);
    await svc.idle();
    now = start + 2 * 60 * MIN;
    const [s] = await svc.list({ deviceId: 'sim-truck-test' });
    assert.ok(s);
    const d = await loadShipmentDetail({ service: svc, store, clock }, s.id);
    assert.equal(d.shipment.state, 'in_transit');
    assert.ok(
      d.summary.excursions.some((e) => e.kind === 'above'),
      JSON.stringify(d.summary.excursions),
    );
    assert.ok(d.summary.timeAboveMs > 0);
  });
});
