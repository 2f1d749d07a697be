/**
 * Alarms end to end over MQTT: a truck logger delivers a buffered excursion (more than 10 h above
 * +8 °C, sent late in a few envelopes), the server's rules raise the heat alarm in the past marked
 * as detected late, quality acknowledges it with an electronic signature (password + TOTP +
 * meaning; a wrong code is refused), and the CLI lists it; a patient monitor's reading shows its
 * NEWS2 score in `vigil readings --json`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AlarmRecord } from '../src/alarms/alarm-store.ts';
import { startApiInstance } from './helpers/api-instance.ts';
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
import { runVigil } from './helpers/run-vigil.ts';

const _root = new URL('..', import.meta.url).pathname;
const MIN = 60_000;
const HOUR = 60 * MIN;

let inst: Instance;
let quality: EnrolledUser;

const vigil = (args: string[]) => runVigil(args, { dataDir: inst.dataDir });

const ndjson = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

before(async () => {
  ({ inst } = await startApiInstance());
  quality = await enrolledUser(inst, 'quill', 'quality');
});

after(async () => {
  await inst?.destroy();
});

describe('alarms end to end', () => {
  let heat: AlarmRecord | undefined;
  const t0 = Math.floor(Date.now() / MIN) * MIN - 12 * HOUR;

  it('raises a heat alarm from backfilled readings above 8 °C for more than 10 h, marked detected late', async () => {
    const b = await inst.addDevice('truck-0700');
    const client = await connectDevice(inst.url, b);
    try {
      // 12 h buffered at 9.1 °C, one sample every 10 min, delivered late in three envelopes (with a
      // sensor's last-digit noise: a value repeated exactly for hours is a stuck sensor)
      const samples = Array.from({ length: 72 }, (_, i) =>
        truckSample(t0 + i * 10 * MIN, 9.1 - (i % 2) * 0.02),
      );
      for (let k = 0; k < 3; k++) {
        const part = samples.slice(k * 24, (k + 1) * 24);
        await send(client, 'truck-0700', makeEnvelope(b, 'telemetry', { samples: part }, { seq: k + 1 }));
      }
      await waitFor('readings stored', async () => (await inst.ctx.store.countReadings('truck-0700')) === 72);
    } finally {
      await closeClient(client);
    }
    heat = await waitFor('heat alarm', async () => {
      await inst.server.alarmService.idle();
      return (await inst.server.alarms.list({ subject: 'truck-0700', rule: 'heat' }))[0];
    });
    assert.equal(heat.state, 'open');
    assert.equal(heat.kind, 'rule');
    assert.equal(heat.startedAt, t0);
    assert.equal(heat.raisedAt, t0 + 10 * HOUR);
    assert.equal(heat.detectedLate, true);
    assert.equal(heat.peak, 9.1);
    // delivered in envelopes, the backlog is no data gap; the warning and critical tiers came first
    const all = await inst.server.alarms.list({ subject: 'truck-0700' });
    assert.deepEqual(all.map((a) => a.rule).sort(), ['critical:above', 'heat', 'warning:above']);
    const api = await quality.browser.call('/api/v1/alarms?subject=truck-0700&state=open');
    assert.equal(api.status, 200, api.text);
    const listed = (api.json as { alarms: { id: string; detectedLate: boolean; tier: string }[] }).alarms;
    assert.deepEqual(
      listed.map((a) => [a.id, a.detectedLate, a.tier]),
      [
        [heat.id, true, 'regulatory'],
        ...all.filter((a) => a.rule !== 'heat').map((a) => [a.id, true, a.rule.split(':')[0]]),
      ],
    );
  });

  it('lets quality acknowledge it with password, TOTP and meaning, and refuses a wrong code', async () => {
    const id = heat?.id ?? '';
    const path = `/api/v1/alarms/${encodeURIComponent(id)}/ack`;
    await awayFromStepEdge();
    const wrong = await quality.browser.post(path, {
      reason: 'Load quarantined pending stability review.',
      meaning: 'impact assessed',
      password: quality.password,
      totp: totp(quality.secret, 20),
    });
    assert.equal(wrong.status, 401, wrong.text);
    assert.equal(errCode(wrong), 'VIGIL_ERR_TOTP');
    assert.equal((await inst.server.alarms.get(id))?.ack, null);

    const code = totp(quality.secret, 0);
    const r = await quality.browser.post(path, {
      reason: 'Load quarantined pending stability review.',
      meaning: 'impact assessed',
      password: quality.password,
      totp: code,
    });
    assert.equal(r.status, 200, r.text);
    const stored = await inst.server.alarms.get(id);
    assert.equal(stored?.state, 'acknowledged');
    assert.deepEqual(
      stored?.ack && [stored.ack.by, stored.ack.name, stored.ack.role, stored.ack.meaning, stored.ack.reason],
      ['user:quill', 'quill', 'quality', 'impact assessed', 'Load quarantined pending stability review.'],
    );
    const audit = (await inst.ctx.store.queryAudit({ action: 'alarm.ack', limit: 100 })).find(
      (a) => a.object === id,
    );
    assert.equal(audit?.actor, 'user:quill');
    assert.equal(audit?.detail.signer, 'quill');
    assert.equal(audit?.detail.role, 'quality');
    assert.equal(audit?.detail.meaning, 'impact assessed');
    assert.ok(!JSON.stringify(audit).includes(code) && !JSON.stringify(audit).includes(quality.password));
    assert.equal((await inst.ctx.store.verifyAudit()).ok, true);
  });

  it('lists it with `vigil alarms --json`', async () => {
    const r = await vigil(['alarms', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = ndjson(r.stdout);
    const row = rows.find((a) => a.id === heat?.id);
    assert.ok(row, r.stdout);
    assert.deepEqual(
      [row.rule, row.subject, row.kind, row.state, row.severity, row.detectedLate],
      ['heat', 'truck-0700', 'rule', 'acknowledged', heat?.severity, true],
    );
    assert.equal(row.raisedAt, new Date(t0 + 10 * HOUR).toISOString());
    assert.equal(row.resolvedAt, null);
    assert.equal((row.ack as { name: string; meaning: string }).name, 'quill');
    assert.equal((row.ack as { name: string; meaning: string }).meaning, 'impact assessed');
    assert.match(String(row.message), /8/);
    assert.deepEqual([row.tier, row.disproved], ['regulatory', null]);
    const resolved = ndjson((await vigil(['alarms', '--state', 'resolved', '--json'])).stdout);
    assert.ok(!resolved.some((a) => a.id === heat?.id));
    const bad = await vigil(['alarms', '--state', 'bogus']);
    assert.equal(bad.code, 2);
  });

  it('shows a disproved alarm as such, with the reason and the time, in `vigil alarms`', async () => {
    const now = Date.now();
    const { alarm } = await inst.server.alarms.open(
      {
        rule: 'warning:above',
        subject: 'truck-0799',
        startedAt: now - HOUR,
        raisedAt: now - 40 * MIN,
        severity: 'warning',
        message: 'Temperature above 8.0 °C for 20 min so far',
      },
      now - 40 * MIN,
    );
    await inst.server.alarms.disprove(
      alarm.id,
      { at: now, reason: 'Readings that arrived later show: in range' },
      now - 30 * MIN,
      now,
    );
    const json = ndjson((await vigil(['alarms', '--subject', 'truck-0799', '--json'])).stdout);
    assert.deepEqual(json[0]?.disproved, {
      at: new Date(now).toISOString(),
      reason: 'Readings that arrived later show: in range',
    });
    assert.equal(json[0]?.state, 'resolved');
    const text = await vigil(['alarms', '--subject', 'truck-0799']);
    assert.match(text.stdout, /\[disproved \S+: Readings that arrived later show: in range\]/);
  });

  it('keeps the alarm, acknowledged, across a restart without opening a duplicate', async () => {
    const before = await inst.server.alarms.list({ subject: 'truck-0700' });
    await inst.restart();
    await inst.server.alarmService.idle();
    const afterwards = await inst.server.alarms.list({ subject: 'truck-0700' });
    assert.deepEqual(
      afterwards.map((a) => [a.id, a.state, a.ack?.name]),
      before.map((a) => [a.id, a.state, a.ack?.name]),
    );
    assert.deepEqual(
      inst.server.alarmService
        .openAlarms('truck-0700')
        .map((a) => a.id)
        .sort(),
      before
        .filter((a) => a.state !== 'resolved')
        .map((a) => a.id)
        .sort(),
    );
    assert.ok(before.some((a) => a.id === heat?.id));
  });

  it('shows the NEWS2 score of each patient-vitals reading in `vigil readings --json`', async () => {
    const b = await inst.addDevice('patient-0700', 'patient-vitals');
    const client = await connectDevice(inst.url, b);
    const now = Date.now();
    try {
      const samples = [
        // all parameters normal: 0, low
        {
          hr_bpm: 72,
          spo2_pct: 97,
          rr_bpm: 16,
          sbp_mmhg: 122,
          temp_c: 36.8,
          on_oxygen: false,
          consciousness: 'A',
        },
        // RR 22 (2) + SpO2 94 (1) + pulse 105 (1) + temp 38.4 (1) = 5: medium
        {
          hr_bpm: 105,
          spo2_pct: 94,
          rr_bpm: 22,
          sbp_mmhg: 120,
          temp_c: 38.4,
          on_oxygen: false,
          consciousness: 'A',
        },
      ].map((s, i) => ({ ts: now - (2 - i) * 1000, ...s }));
      await send(client, 'patient-0700', makeEnvelope(b, 'telemetry', { samples }, { seq: 1 }));
      await waitFor('vitals stored', async () => (await inst.ctx.store.countReadings('patient-0700')) === 2);
    } finally {
      await closeClient(client);
    }
    const r = await vigil(['readings', 'patient-0700', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      ndjson(r.stdout).map((row) => row.news2),
      [
        { total: 0, band: 'low' },
        { total: 5, band: 'medium' },
      ],
    );
    // a truck's readings carry no news2
    const truck = ndjson((await vigil(['readings', 'truck-0700', '--json', '--limit', '1'])).stdout);
    assert.equal(truck[0]?.news2, undefined);
  });
});
