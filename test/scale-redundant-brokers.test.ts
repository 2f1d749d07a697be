/**
 * Redundant brokers, zero loss: two independent Mosquitto 2.x brokers, each configured by
 * `vigil mosquitto-config`, Vigil subscribed on both (`mqtt.external.url` and `.urls`), and 12
 * devices with the ordered broker list (A, B) streaming through A. A is killed (-9): every device
 * moves to B within the keep-alive bound, and every reading either broker acknowledged is stored
 * exactly once. The gap from the last reading on A to the first on B is reported.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runBrokerFailover } from './helpers/broker-failover.ts';
import { type MosquittoFleet, mosquittoFleet } from './helpers/mosquitto-fleet.ts';
import { mosquittoInstalled } from './helpers/mosquitto-process.ts';

const KEEPALIVE_S = 10;

describe('two redundant Mosquitto brokers', {
  skip: mosquittoInstalled() ? false : 'skipped: mosquitto not installed',
  timeout: 300_000,
}, () => {
  let fleet: MosquittoFleet | undefined;

  before(async () => {
    fleet = await mosquittoFleet({ devices: 12, brokers: 2, idPrefix: 'redundant' });
    await fleet.startVigil(['--http-port', '0']);
  });
  after(() => fleet?.stop());

  it('moves 12 devices from a killed broker to the other without losing or duplicating a reading', async (t) => {
    assert.ok(fleet);
    const r = await runBrokerFailover(fleet, {
      intervalMs: 100,
      beforeKillMs: 3000,
      afterMoveMs: 2000,
      keepaliveS: KEEPALIVE_S,
    });
    t.diagnostic(JSON.stringify(r));
    assert.ok(r.acked > 12 * 40, `readings acknowledged: ${r.acked}`);
    assert.equal(r.moved, 12, 'every device reached broker B');
    assert.equal(r.lost, 0, 'no acknowledged reading lost');
    assert.equal(r.duplicated, 0, 'no reading stored twice');
    assert.equal(r.stored, r.acked, 'stored = acknowledged');
    // The MQTT keep-alive bounds how long a dead broker goes unnoticed (MQTT 3.1.1 §3.1.2.10: 1.5×).
    assert.ok(r.gapMaxMs <= KEEPALIVE_S * 1500, `gap ${r.gapMaxMs} ms within the keep-alive bound`);
  });
});
