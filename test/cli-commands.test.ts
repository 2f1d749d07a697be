/** `vigil command send|list` and `vigil device rotate-key` in a second process beside a running server. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SimDevice } from '../src/sim/sim-device.ts';
import { type Instance, startInstance, truckSample, waitFor } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

let inst: Instance;
let dev: SimDevice;

before(async () => {
  inst = await startInstance();
  dev = new SimDevice(await inst.addDevice('cli-cmd-0001'), { brokerUrl: inst.url });
  await dev.connect();
});
after(async () => {
  await dev.close();
  await inst.destroy();
});

describe('vigil command', () => {
  it('send --wait --json returns the acked command; list prints NDJSON newest first', async () => {
    const r = await runVigil(
      [
        'command',
        'send',
        'cli-cmd-0001',
        'set_interval',
        '--args',
        '{"seconds":42}',
        '--ttl',
        '10m',
        '--wait',
        '--json',
      ],
      { dataDir: inst.dataDir },
    );
    assert.equal(r.code, 0, r.stderr);
    const cmd = JSON.parse(r.stdout) as {
      id: string;
      state: string;
      outcome: string;
      createdBy: string;
      expiresAt: string;
    };
    assert.deepEqual([cmd.state, cmd.outcome, cmd.createdBy], ['acked', 'ok', 'cli']);
    assert.match(cmd.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(dev.intervalMs, 42_000);
    await runVigil(['command', 'send', 'cli-cmd-0001', 'identify'], { dataDir: inst.dataDir });
    const list = await runVigil(['command', 'list', 'cli-cmd-0001', '--json'], { dataDir: inst.dataDir });
    assert.equal(list.code, 0, list.stderr);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; op: string });
    assert.deepEqual(
      rows.map((x) => x.op),
      ['identify', 'set_interval'],
    );
    assert.equal(rows[1]?.id, cmd.id);
  });

  it('refuses bad input with a usage error and stores nothing', async () => {
    const before = (await inst.ctx.lifecycleStores.commands.list({ deviceId: 'cli-cmd-0001' })).length;
    const badJson = await runVigil(
      ['command', 'send', 'cli-cmd-0001', 'set_interval', '--args', '{seconds'],
      { dataDir: inst.dataDir },
    );
    assert.equal(badJson.code, 2);
    const badTtl = await runVigil(['command', 'send', 'cli-cmd-0001', 'identify', '--ttl', '40d'], {
      dataDir: inst.dataDir,
    });
    assert.equal(badTtl.code, 2);
    const unknown = await runVigil(['command', 'send', 'nobody-0001', 'identify'], { dataDir: inst.dataDir });
    assert.equal(unknown.code, 1);
    assert.equal((await inst.ctx.lifecycleStores.commands.list({ deviceId: 'cli-cmd-0001' })).length, before);
  });

  it('device rotate-key moves the device to the next kid', async () => {
    const r = await runVigil(['device', 'rotate-key', 'cli-cmd-0001'], { dataDir: inst.dataDir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /to kid 2 started/);
    await waitFor('device switched', () => dev.kid === 2, 10_000);
    dev.record(truckSample(), [], true);
    await waitFor(
      'rotation completed',
      async () =>
        (await inst.ctx.lifecycleStores.rotations.latestRotations('cli-cmd-0001'))[0]?.state === 'completed',
      10_000,
    );
  });
});
