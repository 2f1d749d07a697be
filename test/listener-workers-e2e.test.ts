/**
 * `mqtt.listenerWorkers: 2` end to end: Vigil with its device TLS on two offload workers, over
 * real mTLS on loopback. A reading is acknowledged only once stored, and stored once; a signed
 * command reaches a device connected through a worker and its ack comes back; a worker that dies
 * takes its devices' connections with it, comes back, and the devices reconnect and go on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { type Instance, startInstance, truckSample, waitFor } from './helpers/instance.ts';

let inst: Instance;
const devices: SimDevice[] = [];
/** The seqs each device got a PUBACK for (its link events at connect included). */
const ackedSeqs = new Map<string, Set<number>>();

async function sim(id: string): Promise<SimDevice> {
  const acked = new Set<number>();
  ackedSeqs.set(id, acked);
  const d = new SimDevice(await inst.addDevice(id), {
    brokerUrl: inst.url,
    onPublished: ({ seq }) => acked.add(seq),
  });
  devices.push(d);
  await d.connect();
  return d;
}
const readings = (id: string) => inst.ctx.store.queryReadings({ deviceId: id, since: 0, limit: 10_000 });

before(async () => {
  inst = await startInstance({ mqtt: { listenerWorkers: 2 }, commands: { resendAfterSeconds: 1 } });
});
after(async () => {
  for (const d of devices) await d.close();
  await inst.destroy();
});

describe('Vigil with mqtt.listenerWorkers = 2', { timeout: 120_000 }, () => {
  it('runs the embedded broker behind two TLS offload workers', () => {
    assert.equal(inst.server.broker?.listenerWorkerThreads().length, 2);
  });

  it('stores each acknowledged reading once', async () => {
    const d = await sim('lw-read-0001');
    const seqs: number[] = [];
    for (let i = 0; i < 20; i++)
      seqs.push(d.send('telemetry', { samples: [truckSample(Date.now() - 20_000 + i * 1000, 4 + i / 10)] }));
    await waitFor('20 PUBACKs', async () =>
      seqs.every((q) => ackedSeqs.get(d.id)?.has(q)) ? true : undefined,
    );
    const rows = await readings(d.id);
    assert.equal(rows.length, 20, 'every acknowledged reading is stored when its PUBACK arrives');
    assert.equal(new Set(rows.map((r) => r.seq)).size, 20, 'each once');
  });

  it('delivers a command to a device connected through a worker and correlates its ack', async () => {
    const d = await sim('lw-cmd-0001');
    const cmd = await lifecycleOf(inst.server).commands.send({
      deviceId: d.id,
      op: 'set_interval',
      args: { seconds: 15 },
      actor: 'test',
    });
    const acked = await waitFor('ack', async () => {
      const c = await inst.ctx.lifecycleStores.commands.get(cmd.id);
      return c?.state === 'acked' ? c : undefined;
    });
    assert.equal(acked.outcome, 'ok');
    assert.equal(d.intervalMs, 15_000);
  });

  it('reconnects the devices of a worker that died, and their readings are stored', async () => {
    const fleet = await Promise.all(Array.from({ length: 8 }, (_, i) => sim(`lw-crash-000${i}`)));
    const broker = inst.server.broker!;
    await waitFor('8 devices connected', async () => (broker.stats().devices >= 10 ? true : undefined));
    const [victim] = broker.listenerWorkerThreads();
    await victim!.terminate();
    await waitFor('worker restarted', async () =>
      broker.listenerWorkerThreads().length === 2 && !broker.listenerWorkerThreads().includes(victim!)
        ? true
        : undefined,
    );
    const sent = fleet.map((d) => d.send('telemetry', { samples: [truckSample(Date.now(), 5)] }));
    // The PUBACK of each reading's own seq (the link events at connect are acknowledged too).
    await waitFor('every device reconnected and acknowledged', async () =>
      fleet.every((d, i) => ackedSeqs.get(d.id)?.has(sent[i] as number)) ? true : undefined,
    );
    for (const d of fleet) assert.equal((await readings(d.id)).length, 1, d.id);
  });
});
