import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveProfile } from '../coldchain/profiles.ts';
import { type AlarmServiceHarness, alarmServiceHarness, at, MIN } from './alarm-service.fixture.ts';
import type { AlarmService } from './alarm-service.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-alarm-restart-'));
after(() => rmSync(root, { recursive: true, force: true }));

const HOUR = 60 * MIN;
const DEVICE = 'truck-07';
/** The shipment's profile: refrigerated, plus a 5 h budget above +8 °C. */
const PROFILE = resolveProfile({ preset: 'refrigerated', budgets: [{ kind: 'above', budgetMs: 5 * HOUR }] });
/** Minutes of history before the restart (2.5 days, one reading a minute). */
const RESTART = 3600;
const END = 4000;
/** Withheld while live and delivered as a backlog after the restart, far behind the newest reading. */
const LATE = { from: 3000, to: 3059, at: 3700 };

/** Noise in range; excursions (constant, so flat lines too) for heat, freeze, the tiers and the budget. */
function temp(m: number): number {
  if (m >= 200 && m < 960) return 9.5; // 12 h 40 min above +8: heat, budget
  if (m >= 1500 && m < 1570) return -1; // 70 min frozen
  if (m >= 3020 && m < 3045) return 9.2; // inside the withheld backlog: a warning found late
  if (m >= 3500 && m < 3800) return 9.8; // still running at the restart
  return 5 + ((m * 7) % 10) / 100;
}

/** Delivers minutes [from, to] live, 20 samples an envelope, skipping the withheld backlog. */
async function live(h: AlarmServiceHarness, svc: AlarmService, from: number, to: number) {
  for (let m = from; m <= to; m += 20) {
    const samples = [];
    for (let k = m; k < Math.min(m + 20, to + 1); k++) {
      if (k >= LATE.from && k <= LATE.to) continue;
      samples.push({ ts: at(k), data: { temp_c: temp(k) } });
    }
    const last = Math.min(m + 19, to);
    h.now = at(last) + 1000;
    const events = [];
    if (m <= 2000 && 2000 <= last) events.push({ ts: at(2000), body: { type: 'door', state: 'open' } });
    if (m <= 2012 && 2012 <= last) events.push({ ts: at(2012), body: { type: 'door', state: 'closed' } });
    await h.deliver(svc, DEVICE, samples, events);
    if (last >= LATE.at && m <= LATE.at) {
      const backlog = [];
      for (let k = LATE.from; k <= LATE.to; k++) backlog.push({ ts: at(k), data: { temp_c: temp(k) } });
      await h.deliver(svc, DEVICE, backlog);
    }
  }
}

async function run(restart: boolean) {
  const h = await alarmServiceHarness(root, { [DEVICE]: 'vaccine-transport' });
  const options = {
    subjectSource: () => ({ profile: PROFILE, since: at(0) }),
    sensorFaults: true,
    anomaly: false,
  };
  let svc = h.service(options);
  await svc.start();
  await live(h, svc, 0, RESTART - 1);
  if (restart) {
    await svc.stop();
    svc = h.service(options);
    await svc.start();
  }
  const atRestart = svc.openAlarms(DEVICE).map((a) => `${a.id} ${a.startedAt} ${a.peak}`);
  await live(h, svc, RESTART, END);
  await svc.stop();
  const alarms = (await h.all(DEVICE)).map(({ updatedAt: _, ...rest }) => rest);
  const errors = h.errors;
  await h.store.close();
  return { alarms, atRestart, errors };
}

describe('alarm service across a restart', () => {
  it('gives the same rule results after a restart as without one, for a device with 2.5 days of history', async () => {
    const continuous = await run(false);
    const restarted = await run(true);
    assert.deepEqual(continuous.errors, []);
    assert.deepEqual(restarted.errors, []);
    const rules = [...new Set(continuous.alarms.map((a) => `${a.rule} ${a.state}`))].sort();
    // the history has something for every kind of rule state across the restart
    assert.deepEqual(rules, [
      'budget:above-8 open',
      'critical:above resolved',
      'critical:below resolved',
      'door-open resolved',
      'flat-line resolved',
      'freeze resolved',
      'heat resolved',
      'rate-of-change resolved',
      'warning:above resolved',
      'warning:below resolved',
    ]);
    const late = continuous.alarms.find((a) => a.rule === 'warning:above' && a.raisedAt > at(LATE.from));
    assert.ok(late?.detectedLate, 'the backlog behind the restart raised its warning, late');
    assert.equal(
      continuous.atRestart.length,
      4,
      'budget, flat line and both tiers above stand at the restart',
    );
    assert.deepEqual(restarted.atRestart, continuous.atRestart, 'the same alarms stand at the restart');
    assert.deepEqual(restarted.alarms, continuous.alarms);
  });
});
