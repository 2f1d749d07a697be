import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveBus, type LiveFrame } from './live-bus.ts';

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

  it('publishes one reading message per sample of an accepted message, and nothing without subscribers', () => {
    const bus = new LiveBus();
    const reading = (seq: number, idx: number) => ({
      deviceId: 'truck-0001',
      seq,
      idx,
      ts: 1000 + idx,
      receivedAt: 2000,
      backfill: idx === 0,
      data: { temp_c: 4 + idx },
    });
    bus.publishAccepted({
      deviceId: 'truck-0001',
      channel: 'telemetry',
      seq: 1,
      readings: [reading(1, 0)],
      messages: [],
    });
    assert.equal(bus.stats.published, 0);
    const got: unknown[] = [];
    bus.subscribe((f) => got.push(JSON.parse(f.json)));
    bus.publishAccepted({
      deviceId: 'truck-0001',
      channel: 'telemetry',
      seq: 2,
      readings: [reading(2, 0), reading(2, 1)],
      messages: [],
    });
    // Times as every JSON answer writes them: ISO 8601 UTC with milliseconds.
    const wire = (seq: number, idx: number) => ({
      ...reading(seq, idx),
      ts: new Date(1000 + idx).toISOString(),
      receivedAt: '1970-01-01T00:00:02.000Z',
    });
    assert.deepEqual(got, [
      { type: 'reading', data: wire(2, 0) },
      { type: 'reading', data: wire(2, 1) },
    ]);
  });
});
