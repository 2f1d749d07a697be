import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { DeviceProfile } from '../protocol/device-profile.ts';
import { createRng, gaussian } from '../random/rng.ts';
import { type AlarmServiceHarness, alarmServiceHarness, at, brief } from './alarm-service.fixture.ts';
import type { AlarmService } from './alarm-service.ts';
import type { AlarmRecord } from './alarm-store.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-alarm-service-monitors-'));
after(() => rmSync(root, { recursive: true, force: true }));
const harness = (devices: Record<string, DeviceProfile>) => alarmServiceHarness(root, devices);

describe('alarm service: statistical monitors and sensor faults', () => {
  /** A truck's logger, one reading a minute: 5 °C with 0.15 °C noise, then what `at` says. */
  async function loggerMinutes(
    h: AlarmServiceHarness,
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
});
