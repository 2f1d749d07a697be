/**
 * The demo across a restart, over the real path (simulated trucks with their own bundles, mTLS,
 * the ingest pipeline, the shipment service): a restarted simulator continues each truck's trip
 * (same batch id and token) instead of closing it undelivered and binding the next planned
 * shipment, so a shipment created by hand stays planned; and the truck's "logger display" shows
 * operators the delivery token, with which a receiver confirms the delivery end to end.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readLoggerDisplay } from '../src/sim/logger-display.ts';
import { type SimFleet, startSimFleet } from '../src/sim/runner.ts';
import { enrolledUser, errCode } from './helpers/browser.ts';
import { startInstance, waitFor } from './helpers/instance.ts';

const TRUCK = 'sim-truck-001';

test('a restarted demo continues its trips, leaves hand-made shipments alone, and shows the token', {
  timeout: 120_000,
}, async () => {
  const inst = await startInstance({}, undefined, { webRoot: '/nonexistent-vigil-web' });
  const fleets: SimFleet[] = [];
  const start = async () => {
    const f = await startSimFleet(inst.ctx, {
      profile: 'vaccine-transport',
      devices: 1,
      rate: 4,
      brokerUrl: inst.url,
    });
    fleets.push(f);
    return f;
  };
  try {
    const shipments = inst.server.shipments;
    const inTransit = async () => await shipments.list({ deviceId: TRUCK, state: 'in_transit', limit: 10 });
    const first = await start();
    const [trip] = await waitFor(
      'the first trip in transit',
      async () => {
        const l = await inTransit();
        return l.length ? l : undefined;
      },
      20_000,
    );
    assert.ok(trip);
    const display = readLoggerDisplay(join(inst.ctx.paths.simDir, TRUCK));
    assert.equal(display?.batch, trip.dispatch?.batchId, 'the display shows the trip the server bound');
    const byHand = await shipments.create(
      {
        deviceId: TRUCK,
        profile: 'frozen',
        origin: { name: 'Hand-made depot' },
        destination: { name: 'Clinic' },
      },
      'user:dispatcher',
    );

    await first.stop();
    const second = await start();
    const acked = second.devices[0]?.stats.acked ?? 0;
    await waitFor(
      'the restarted truck delivers again',
      () => (second.devices[0]?.stats.acked ?? 0) > acked + 2,
      20_000,
    );
    await shipments.idle();

    assert.deepEqual(
      (await inTransit()).map((s) => s.id),
      [trip.id],
      'the same trip goes on',
    );
    assert.equal(
      (await shipments.get(byHand.id))?.state,
      'planned',
      'the hand-made shipment is not taken over',
    );
    assert.equal((await shipments.list({ deviceId: TRUCK, limit: 100 })).length, 2, 'no trip was added');

    // The logger display, for operators: the token a receiver types in.
    const operator = await enrolledUser(inst, 'otto', 'operator');
    const viewer = await enrolledUser(inst, 'vera', 'viewer');
    const receiver = await enrolledUser(inst, 'rita', 'receiver');
    const shown = await operator.browser.call(`/api/v1/devices/${TRUCK}/display`);
    assert.equal(shown.status, 200, shown.text);
    const { display: shownDisplay } = shown.json as {
      display: { token: string; simulated: boolean; batch: string };
    };
    const { token, simulated, batch } = shownDisplay;
    assert.deepEqual([simulated, batch], [true, trip.dispatch?.batchId]);
    assert.equal(shown.headers['cache-control'], 'no-store');
    assert.equal((await viewer.browser.call(`/api/v1/devices/${TRUCK}/display`)).status, 403);
    await inst.addDevice('truck-0777');
    const real = await operator.browser.call('/api/v1/devices/truck-0777/display');
    assert.deepEqual([real.status, real.json], [200, { display: null }], 'a real logger has no display here');
    const none = await operator.browser.call('/api/v1/devices/truck-nope/display');
    assert.equal(errCode(none), 'VIGIL_ERR_NOT_FOUND');

    const delivered = await receiver.browser.post(`/api/v1/shipments/${trip.id}/deliver`, { token });
    assert.equal(delivered.status, 200, delivered.text);
    assert.equal((await shipments.get(trip.id))?.state, 'delivered');
  } finally {
    for (const f of fleets) await f.stop().catch(() => {});
    await inst.destroy();
  }
});
