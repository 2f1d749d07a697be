import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRecords } from './build-records.ts';
import { codeOf, messageContext, NOW, runBefore, sample, stepDeps, testDevice } from './steps.fixture.ts';

const d = testDevice();
const deps = stepDeps([d]);

describe('buildRecords', () => {
  it('makes one reading per sample, marking the ones older than backfillAfterMs as backfill', async () => {
    const ctx = messageContext(d, { samples: [sample(NOW - 120_000), sample(NOW - 120_001)] }, { seq: 9 });
    await runBefore(buildRecords, ctx, deps);
    assert.equal(await codeOf(buildRecords, ctx, deps), null);
    assert.deepEqual(
      ctx.readings.map((r) => [r.seq, r.idx, r.backfill, 'ts' in r.data]),
      [
        [9, 0, false, false],
        [9, 1, true, false],
      ],
    );
  });

  it("makes one message for an ack (the envelope's ts) and keeps an event without a token as it is", async () => {
    const ack = messageContext(
      d,
      { id: '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10', ok: true },
      { channel: 'acks', seq: 4 },
    );
    await runBefore(buildRecords, ack, deps);
    await buildRecords(ack, deps);
    assert.deepEqual(ack.messages, [
      {
        deviceId: d.id,
        seq: 4,
        channel: 'acks',
        ts: NOW,
        receivedAt: NOW,
        body: { id: '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10', ok: true },
      },
    ]);
    assert.deepEqual(ack.readings, []);
    const door = messageContext(
      d,
      { type: 'door', state: 'open', ts: NOW - 5 },
      { channel: 'events', seq: 5 },
    );
    await runBefore(buildRecords, door, deps);
    await buildRecords(door, deps);
    assert.deepEqual(door.messages[0]?.body, { type: 'door', state: 'open', ts: NOW - 5 });
    assert.equal(door.messages[0]?.ts, NOW - 5);
  });

  it('stores a delivery token only as its keyed hash', async () => {
    const ctx = messageContext(
      d,
      { type: 'dispatch', batch: 'LOT-1', token: 'K7P2QX9M' },
      { channel: 'events' },
    );
    await runBefore(buildRecords, ctx, deps);
    await buildRecords(ctx, deps);
    const [m] = ctx.messages;
    assert.deepEqual(m?.body, { type: 'dispatch', batch: 'LOT-1', token_hash: 'hash(8)' });
    assert.equal(m?.ts, NOW, "an event without its own ts takes the envelope's");
  });
});
