import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveBus, type LiveFrame, MAX_READINGS_PER_FRAME } from './live-bus.ts';

describe('LiveBus', () => {
  it('serialises a message once and hands the same frame to every subscriber', () => {
    const bus = new LiveBus();
    const got: LiveFrame[][] = [[], []];
    bus.subscribe((f) => got[0]?.push(f));
    bus.subscribe((f) => got[1]?.push(f));
    bus.publish('alarm', { id: 'a' });
    assert.equal(got[0]?.[0], got[1]?.[0]);
    assert.deepEqual(JSON.parse(got[0]?.[0]?.json ?? ''), { type: 'alarm', data: { id: 'a' } });
  });

  it('keeps delivering when a subscriber throws, and stops after unsubscribe', () => {
    const bus = new LiveBus();
    let n = 0;
    bus.subscribe(() => {
      throw new Error('boom');
    });
    const off = bus.subscribe(() => n++);
    bus.publish('system', {});
    off();
    bus.publish('system', {});
    assert.equal(n, 1);
    assert.equal(bus.stats.subscriberErrors, 2);
  });

  it('batches the readings of one turn into one readings message, sent when the turn ends', async () => {
    const bus = new LiveBus();
    bus.publishAccepted(accepted(1, 1));
    assert.equal(bus.stats.published, 0, 'nothing without subscribers');
    const got: { type: string; data: unknown }[] = [];
    bus.subscribe((f) => got.push(JSON.parse(f.json)));
    bus.publishAccepted(accepted(2, 2));
    bus.publishAccepted(accepted(3, 1));
    assert.deepEqual(got, [], 'held until the turn ends');
    await new Promise((r) => setImmediate(r));
    // Each item has the shape of the reading view: times ISO 8601 UTC with milliseconds.
    assert.deepEqual(got, [{ type: 'readings', data: [wire(2, 0), wire(2, 1), wire(3, 0)] }]);
    assert.equal(bus.stats.published, 1);
  });

  it('sends a full batch at once, and the readings before any other message first', async () => {
    const bus = new LiveBus();
    const got: { type: string; data: unknown[] }[] = [];
    bus.subscribe((f) => got.push(JSON.parse(f.json)));
    bus.publishAccepted(accepted(1, MAX_READINGS_PER_FRAME + 3));
    assert.deepEqual(
      got.map((m) => [m.type, m.data.length]),
      [['readings', MAX_READINGS_PER_FRAME]],
    );
    bus.publish('alarm', { id: 'a' });
    assert.deepEqual(
      got.map((m) => m.type),
      ['readings', 'readings', 'alarm'],
    );
    assert.equal(got[1]?.data.length, 3);
    await new Promise((r) => setImmediate(r));
    assert.equal(got.length, 3, 'nothing left over');
  });
});

function reading(seq: number, idx: number) {
  return {
    deviceId: 'truck-0001',
    seq,
    idx,
    ts: 1000 + idx,
    receivedAt: 2000,
    backfill: idx === 0,
    data: { temp_c: 4 + idx },
  };
}

/** A reading as the feed writes it (the reading view, src/live/reading-view.ts). */
function wire(seq: number, idx: number) {
  return {
    ...reading(seq, idx),
    ts: new Date(1000 + idx).toISOString(),
    receivedAt: '1970-01-01T00:00:02.000Z',
  };
}

function accepted(seq: number, samples: number) {
  return {
    deviceId: 'truck-0001',
    channel: 'telemetry' as const,
    seq,
    readings: Array.from({ length: samples }, (_, i) => reading(seq, i)),
    messages: [],
  };
}
