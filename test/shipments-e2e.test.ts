/**
 * A shipment end to end, over real mutual TLS and HTTPS: a dispatcher creates it with the CLI,
 * the logger's dispatch event (batch id and delivery token) arrives over MQTT and starts the trip,
 * readings with a heat excursion follow, `vigil shipment show --json` reports it, the receiver
 * delivers with a wrong token (refused, audited without the token) and then the right one, and
 * quality releases it with an electronic signature. The token is never stored, logged or shown.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { readReportPublicKey, verifyReport } from '../src/reports/index.ts';
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
import { awayFromStepEdge, type EnrolledUser, enrolledUser, errCode, totp } from './helpers/browser.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  send,
  truckSample,
  waitFor,
} from './helpers/instance.ts';
import { dispatchOverMqtt, startTruckInstance } from './helpers/truck-trip.fixture.ts';
import { type InProcessRun, vigilInProcess } from './helpers/vigil-in-process.ts';

const TOKEN = 'K7QM4ZRT';
/** The settings the dispatcher chose for this shipment (profile JSON and alarm flags). */
const SHIPMENT_OVERRIDES = [
  'heat.durationMs',
  'mergeGapMinutes',
  'tiers.critical.below.durationMs',
  'tiers.critical.below.limitC',
  'tiers.warning.above.durationMs',
];
const WRONG = 'WR0NGT0K';
const MIN = 60_000;

let inst: Instance;
let bundle: DeviceBundleFiles;
let client: MqttClient;
let receiver: EnrolledUser;
let quality: EnrolledUser;
let shipmentId = '';
let seq = 0;
const t0 = Date.now() - 3 * 60 * MIN;

/** Runs `vigil ARGS` in this process against the instance's data directory. */
function vigil(args: string[]): Promise<InProcessRun> {
  return vigilInProcess(inst.dataDir, args);
}

before(async () => {
  ({ inst, bundle, client } = await startTruckInstance('truck-ship-01'));
  receiver = await enrolledUser(inst, 'rita-recv', 'receiver');
  quality = await enrolledUser(inst, 'quinn-qa', 'quality');
});

after(async () => {
  if (client) await closeClient(client);
  await inst?.destroy();
});

describe('shipment end to end', () => {
  it('a dispatcher creates a planned shipment with the CLI', async () => {
    // Heat alarm after 15 min above 8 °C (the WHO default is 10 h), so the trip below raises one.
    const profile = JSON.stringify({ preset: 'refrigerated', heat: { durationMs: 15 * MIN } });
    const r = await vigil([
      'shipment',
      'create',
      '--device',
      'truck-ship-01',
      '--profile',
      profile,
      '--batch',
      'LOT-MMR-0917,MMR vaccine,400,VVM14',
      '--batch',
      'LOT-BCG-0042',
      '--origin',
      'Accra',
      '--destination',
      'Kumasi',
      // this shipment's own policy: warn after 10 min above +8 °C, critical at -1 °C for 10 min
      '--warning-above',
      '8:10m',
      '--critical-below=-1:10m',
      '--merge-gap-minutes',
      '5',
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out);
    assert.match(s.id, /^shp-[a-z2-7]{10}$/);
    assert.equal(s.state, 'planned');
    assert.equal(s.deviceId, 'truck-ship-01');
    assert.deepEqual(
      s.batches.map((b: { lot: string }) => b.lot),
      ['LOT-MMR-0917', 'LOT-BCG-0042'],
    );
    shipmentId = s.id;
    const list = await vigil(['shipment', 'list', '--json']);
    assert.equal(list.code, 0, list.err);
    assert.ok(list.out.split('\n').some((l) => JSON.parse(l).id === shipmentId));
  });

  it('the logger’s dispatch event over MQTT starts the trip at its own timestamp, then readings with an excursion', async () => {
    await dispatchOverMqtt(
      { inst, bundle, client },
      { ts: t0, batch: 'LOT-2026-E2E001', token: TOKEN, shipment: shipmentId },
      ++seq,
    );
    // 2 h at 5-minute sampling; 12 °C from t0+30 min to t0+55 min (back in range at t0+60 min).
    const samples = [];
    for (let i = 0; i <= 24; i++) samples.push(truckSample(t0 + i * 5 * MIN, i >= 6 && i < 12 ? 12 : 5));
    await send(client, bundle.info.id, makeEnvelope(bundle, 'telemetry', { samples }, { seq: ++seq }));
    await waitFor('heat alarm', async () => {
      const alarms = await inst.server.alarms.list({ subject: 'truck-ship-01', rule: 'heat' });
      return alarms.length > 0;
    });
  });

  it('vigil shipment show --json reports state, MKT, time out of range, the excursion and the alarm', async () => {
    const r = await vigil(['shipment', 'show', shipmentId, '--json']);
    assert.equal(r.code, 0, r.err);
    // The API's shape and names (camelCase), times as ISO 8601 UTC: docs/cli.md.
    const d = JSON.parse(r.out);
    assert.equal(r.out.split('\n').length, 1, 'one JSON object on one line');
    assert.equal(d.shipment.state, 'in_transit');
    assert.equal(d.shipment.dispatch.at, new Date(t0).toISOString());
    assert.equal(d.shipment.dispatch.batchId, 'LOT-2026-E2E001');
    assert.equal(d.summary.readings, 25);
    assert.equal(typeof d.summary.mktC, 'number');
    assert.ok(d.summary.mktC > 5 && d.summary.mktC < 12, String(d.summary.mktC));
    assert.deepEqual(d.summary.timeOutOfRange, { aboveMs: 30 * MIN, belowMs: 0 });
    assert.equal(d.summary.excursions.length, 1);
    assert.equal(d.summary.excursions[0].kind, 'above');
    assert.equal(d.summary.excursions[0].start, new Date(t0 + 30 * MIN).toISOString());
    assert.equal(d.summary.excursions[0].peakC, 12);
    assert.ok(
      d.alarms.some((a: { rule: string }) => a.rule === 'heat'),
      JSON.stringify(d.alarms),
    );
    assert.equal(d.shipment.batches.length, 2);
    assert.deepEqual(d.profile.policy.overrides, SHIPMENT_OVERRIDES);
    assert.deepEqual(d.profile.policy.warning.above, { limitC: 8, inclusive: false, durationMs: 10 * MIN });
    assert.equal(d.profile.policy.mergeGapMinutes, 5);
    // the shipment's own warning delay: raised 10 min into the excursion, as the regulatory tier's heat
    const warning = d.alarms.find((a: { rule: string }) => a.rule === 'warning:above');
    assert.equal(warning?.raisedAt, new Date(t0 + 40 * MIN).toISOString());
    assert.equal(warning?.tier, 'warning');
    assert.equal(d.alarms.find((a: { rule: string }) => a.rule === 'heat')?.tier, 'regulatory');
    // custody details carry ISO 8601 times like everything else
    const dispatched = d.custody.find((e: { action: string }) => e.action === 'shipment.dispatch');
    assert.equal(dispatched?.detail.at, new Date(t0).toISOString());
    assert.ok(!r.out.includes(TOKEN));
    const text = await vigil(['shipment', 'show', shipmentId]);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /excursion\s+above/);
    assert.match(text.out, /warning tier\s+above 8 °C for 10 min, or below 2 °C for 5 min/);
    assert.match(text.out, /shipment overrides\s+heat\.durationMs, mergeGapMinutes, tiers\.critical/);
  });

  it('the API shows the same record to any reader', async () => {
    const r = await receiver.browser.call(`/api/v1/shipments/${shipmentId}`);
    assert.equal(r.status, 200, r.text);
    const d = r.json as {
      profile: { policy: { overrides: string[]; critical: { below: unknown } } };
      shipment: { state: string; dispatch: Record<string, unknown> };
      summary: { mktC: number; timeOutOfRange: { aboveMs: number }; excursions: unknown[] };
      alarms: { rule: string }[];
      custody: { action: string }[];
    };
    assert.equal(d.shipment.state, 'in_transit');
    assert.deepEqual(d.profile.policy.overrides, SHIPMENT_OVERRIDES);
    assert.deepEqual(d.profile.policy.critical.below, { limitC: -1, inclusive: true, durationMs: 10 * MIN });
    assert.deepEqual(Object.keys(d.shipment.dispatch).sort(), ['at', 'batchId', 'receivedAt']);
    assert.equal(d.summary.timeOutOfRange.aboveMs, 30 * MIN);
    assert.equal(d.summary.excursions.length, 1);
    assert.ok(d.alarms.some((a) => a.rule === 'heat'));
    assert.deepEqual(
      d.custody.map((e) => e.action),
      ['shipment.create', 'shipment.dispatch'],
    );
    const list = await receiver.browser.call('/api/v1/shipments?state=in_transit');
    assert.equal(list.status, 200);
    assert.ok((list.json as { shipments: { id: string }[] }).shipments.some((s) => s.id === shipmentId));
  });

  it('an operator creates a shipment with its own alarm policy through the API; a bad one is refused with its path', async () => {
    const operator = await enrolledUser(inst, 'otto-ops', 'operator');
    await inst.addDevice('truck-ship-09');
    const r = await operator.browser.post('/api/v1/shipments', {
      deviceId: 'truck-ship-09',
      profile: 'refrigerated',
      alarmPolicy: { tiers: { warning: { above: { durationMs: 5 * MIN }, below: null } }, hysteresisC: 0.3 },
    });
    assert.equal(r.status, 201, r.text);
    const created = (r.json as { shipment: { id: string; profile: unknown } }).shipment;
    assert.deepEqual(created.profile, {
      preset: 'refrigerated',
      tiers: { warning: { above: { durationMs: 5 * MIN }, below: null } },
      hysteresisC: 0.3,
    });
    const d = await operator.browser.call(`/api/v1/shipments/${created.id}`);
    const policy = (d.json as { profile: { policy: { overrides: string[]; warning: unknown } } }).profile
      .policy;
    assert.deepEqual(policy.overrides, [
      'hysteresisC',
      'tiers.warning.above.durationMs',
      'tiers.warning.below',
    ]);
    assert.deepEqual(policy.warning, {
      above: { limitC: 8, inclusive: false, durationMs: 5 * MIN },
      below: null,
    });
    const bad = await operator.browser.post('/api/v1/shipments', {
      deviceId: 'truck-ship-09',
      alarmPolicy: { mergeGapMinutes: -3 },
    });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.text, /mergeGapMinutes/);
  });

  it('the receiver’s wrong token is refused and audited without the token; the right one delivers at the last GPS fix', async () => {
    const wrong = await receiver.browser.post(`/api/v1/shipments/${shipmentId}/deliver`, { token: WRONG });
    assert.equal(wrong.status, 403);
    assert.equal(errCode(wrong), 'VIGIL_ERR_DELIVERY_TOKEN');
    assert.ok(!wrong.text.includes(WRONG));
    const refused = (
      await inst.ctx.store.queryAudit({ action: 'shipment.deliver_refused', limit: 100 })
    ).filter((a) => a.object === shipmentId);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.actor, 'user:rita-recv');

    const ok = await receiver.browser.post(`/api/v1/shipments/${shipmentId}/deliver`, { token: TOKEN });
    assert.equal(ok.status, 200, ok.text);
    const s = (ok.json as { shipment: { state: string; delivery: Record<string, unknown> } }).shipment;
    assert.equal(s.state, 'delivered');
    assert.equal(s.delivery.by, 'user:rita-recv');
    assert.equal(s.delivery.lat, 52.37);
    assert.equal(s.delivery.lon, 4.89);
    assert.equal(s.delivery.fixAt, new Date(t0 + 120 * MIN).toISOString());
    assert.ok(!ok.text.includes(TOKEN));
    const again = await receiver.browser.post(`/api/v1/shipments/${shipmentId}/deliver`, { token: TOKEN });
    assert.equal(again.status, 409);
  });

  it('quality releases the shipment with an electronic signature (password and TOTP re-entered)', async () => {
    const url = `/api/v1/shipments/${shipmentId}/decision`;
    const body = {
      state: 'released',
      reason: 'MKT 6.1 °C; 30 min above 8 °C within stability data',
      meaning: 'approved',
    };
    // The receiver holds no shipments.decide.
    const forbidden = await receiver.browser.post(url, {
      ...body,
      password: receiver.password,
      totp: '000000',
    });
    assert.equal(forbidden.status, 403);
    const badPassword = await quality.browser.post(url, { ...body, password: 'not it', totp: '123456' });
    assert.equal(badPassword.status, 401);
    assert.equal(errCode(badPassword), 'VIGIL_ERR_AUTH');
    await awayFromStepEdge();
    const r = await quality.browser.post(url, {
      ...body,
      password: quality.password,
      totp: totp(quality.secret),
    });
    assert.equal(r.status, 200, r.text);
    const s = (r.json as { shipment: { state: string; decision: Record<string, unknown> } }).shipment;
    assert.equal(s.state, 'released');
    assert.equal(s.decision.by, 'user:quinn-qa');
    assert.equal(s.decision.meaning, 'approved');
    const audit = (await inst.ctx.store.queryAudit({ action: 'shipment.decide', limit: 100 })).find(
      (a) => a.object === shipmentId,
    );
    assert.equal(audit?.detail.signer, 'quinn-qa');
    assert.equal(audit?.detail.role, 'quality');
    assert.equal(audit?.detail.signature, 'password+totp');
    const show = JSON.parse((await vigil(['shipment', 'show', shipmentId, '--json'])).out);
    assert.equal(show.shipment.state, 'released');
    assert.equal(show.shipment.delivery.by, 'user:rita-recv');
    assert.equal(show.shipment.decision.reason, body.reason);
    assert.deepEqual(
      show.custody.map((e: { action: string }) => e.action),
      [
        'shipment.create',
        'shipment.dispatch',
        'shipment.deliver_refused',
        'shipment.deliver',
        'shipment.decide',
      ],
    );
  });

  it('the signed report of the shipment verifies', async () => {
    const r = await receiver.browser.call(`/api/v1/shipments/${shipmentId}/report?format=csv`);
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /^text\/csv/);
    const v = verifyReport(Buffer.from(r.text, 'utf8'), readReportPublicKey(inst.ctx.paths.pkiDir));
    assert.equal(v.ok, true);
    assert.ok(!r.text.includes(TOKEN));
  });

  it('the token appears nowhere: not in the audit log, the stored messages or the custody record', async () => {
    const audit = JSON.stringify(await inst.ctx.store.queryAudit({ limit: 100_000 }));
    const messages = JSON.stringify(
      await inst.ctx.store.queryMessages({ deviceId: 'truck-ship-01', limit: 1000 }),
    );
    const custody = JSON.stringify(await inst.ctx.shipmentStore.listEvents(shipmentId));
    for (const text of [audit, messages, custody]) {
      assert.ok(!text.includes(TOKEN), 'token leaked');
      assert.ok(!text.includes(WRONG), 'wrong token leaked');
    }
    assert.ok(messages.includes('token_hash'));
  });

  it("a caller's wrong tokens are rate-limited (the sixth attempt gets 429) without blocking the real receiver", async () => {
    // A receiver of its own: rita's wrong token above counts against her (per caller) too.
    const rex = await enrolledUser(inst, 'rex-recv', 'receiver');
    const rae = await enrolledUser(inst, 'rae-recv', 'receiver');
    const b = await inst.addDevice('truck-ship-02');
    const c2 = await connectDevice(inst.url, b);
    try {
      await send(
        c2,
        b.info.id,
        makeEnvelope(
          b,
          'events',
          { type: 'dispatch', batch: 'LOT-2026-E2E002', token: 'RIGHT222' },
          { seq: 1 },
        ),
        'events',
      );
      const s = await waitFor('auto-created shipment', async () => {
        const [x] = await inst.ctx.shipmentStore.list({ deviceId: 'truck-ship-02', state: 'in_transit' });
        return x;
      });
      assert.equal(s.profile, 'refrigerated');
      for (let i = 0; i < 5; i++) {
        const r = await rex.browser.post(`/api/v1/shipments/${s.id}/deliver`, { token: `GUESS00${i}` });
        assert.equal(r.status, 403);
      }
      const locked = await rex.browser.post(`/api/v1/shipments/${s.id}/deliver`, { token: 'RIGHT222' });
      assert.equal(locked.status, 429);
      assert.equal(errCode(locked), 'VIGIL_ERR_LOCKED');
      assert.ok(Number(locked.headers['retry-after']) > 0);
      // rex's guesses do not hold back rae, who has the token.
      const ok = await rae.browser.post(`/api/v1/shipments/${s.id}/deliver`, { token: 'RIGHT222' });
      assert.equal(ok.status, 200, ok.text);
      const attempts = (await inst.ctx.store.queryAudit({ limit: 10_000 })).filter(
        (a) => a.object === s.id && a.action.startsWith('shipment.deliver'),
      );
      assert.deepEqual(
        attempts.map((a) => [a.action, a.actor]),
        [
          ...Array.from({ length: 5 }, () => ['shipment.deliver_refused', 'user:rex-recv']),
          ['shipment.deliver_throttled', 'user:rex-recv'],
          ['shipment.deliver', 'user:rae-recv'],
        ],
      );
    } finally {
      await closeClient(c2);
    }
  });
});

// The report CLI, when present (src/cli/commands/report.ts `report shipment`).
describe('vigil report shipment', () => {
  it('writes a signed PDF that `vigil report verify` accepts', async () => {
    const out = join(inst.dataDir, `${shipmentId}.pdf`);
    const r = await vigil(['report', 'shipment', shipmentId, '--format', 'pdf', '--out', out]);
    assert.equal(r.code, 0, r.err);
    assert.equal(readFileSync(out).subarray(0, 5).toString('latin1'), '%PDF-');
    const key = await vigil(['report', 'key']);
    const pub = join(inst.dataDir, 'pki', 'report-signing.pub');
    assert.match(key.out, /report-signing key SHA256:/, key.err);
    const v = await vigil(['report', 'verify', out, '--key', pub]);
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /report OK/);
  });
});
