/**
 * CA rollover with a small fleet through to retirement (docs/protocol.md §13.3), over real mTLS:
 * trust bundle → server certificate from the new root → device certificates renewed → old root
 * retired, with no reading lost.
 */

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setDeviceEnabled } from '../src/devices/device-service.ts';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { connectDevice, type Instance, startInstance, waitFor } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';
import { publishWhile, waitAllStored } from './helpers/sim-fleet.fixture.ts';

let inst: Instance;
const fleet: SimDevice[] = [];

before(async () => {
  inst = await startInstance({ commands: { resendAfterSeconds: 1 } });
});
after(async () => {
  for (const d of fleet) await d.close();
  await inst.destroy();
});

describe('CA rollover', () => {
  it('moves a small fleet to a new root and retires the old one, no reading lost', async () => {
    for (let i = 1; i <= 3; i++) {
      const d = new SimDevice(await inst.addDevice(`roll-dev-00${i}`), { brokerUrl: inst.url });
      fleet.push(d);
      await d.connect();
    }
    // Disabled during the rollover: it keeps an old-root certificate and is locked out at the end.
    const parked = await inst.addDevice('roll-parked-1');
    await setDeviceEnabled(inst.ctx, 'roll-parked-1', false, 'test');
    const oldRoot = new X509Certificate(inst.ctx.ca.certPem);
    const load = publishWhile(fleet, 30, 3000);
    const rollover = lifecycleOf(inst.server).rollover;
    await rollover.start('test');
    const newRoot = new X509Certificate(inst.ctx.ca.certPem);
    assert.notEqual(newRoot.serialNumber, oldRoot.serialNumber);
    assert.equal((await rollover.status()).phase, 'distributing');
    // The server certificate stays on the old root until every device trusts the new one.
    assert.ok(new X509Certificate(readFileSync(inst.ctx.paths.serverCert, 'utf8')).checkIssued(oldRoot));

    const phase = async (p: string) => {
      await rollover.tick();
      return (await rollover.status()).phase === p;
    };
    await waitFor('switched', () => phase('switched'), 20_000);
    assert.ok(new X509Certificate(readFileSync(inst.ctx.paths.serverCert, 'utf8')).checkIssued(newRoot));
    await waitFor('retired', () => phase('retired'), 40_000);
    const st = await rollover.status();
    assert.deepEqual([st.onOldCa, st.onNewCa, st.previousCa], [0, 3, null]);
    for (const d of fleet) {
      assert.ok(
        new X509Certificate(d.certificatePem).checkIssued(newRoot),
        `${d.id} has a new-root certificate`,
      );
    }
    const recorded = await load.stop();
    await waitAllStored(inst, fleet, recorded);
    // The old root is no longer trusted: the parked device's old certificate is refused at TLS.
    await setDeviceEnabled(inst.ctx, 'roll-parked-1', true, 'test');
    await assert.rejects(connectDevice(inst.url, parked));
    const cli = await runVigil(['pki', 'status', '--json'], { dataDir: inst.dataDir });
    assert.equal(cli.code, 0, cli.stderr);
    const status = JSON.parse(cli.stdout) as { phase: string; onNewCa: number; devices: number };
    assert.equal(status.phase, 'retired');
    assert.equal(status.onNewCa, 3, 'the three active devices; the parked one is still on the old root');
    const audit = await inst.ctx.store.queryAudit({ action: 'pki.rollover_retired' });
    assert.equal(audit.length, 1);
  });
});
