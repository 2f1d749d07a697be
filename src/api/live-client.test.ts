import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../auth/principal.ts';
import { LiveBus } from '../live/live-bus.ts';
import { CLOSE_SLOW_CONSUMER, LiveClient, type LiveSocket } from './live-client.ts';

/** A socket that never writes anything out unless told to (a browser that stopped reading). */
class StuckSocket implements LiveSocket {
  bufferedAmount = 0;
  readonly pending: ((err?: Error) => void)[] = [];
  readonly sent: string[] = [];
  closedWith: number | null = null;
  terminated = false;
  send(data: string, cb: (err?: Error) => void): void {
    this.sent.push(data);
    this.bufferedAmount += data.length;
    this.pending.push(cb);
  }
  /** The kernel took everything queued so far. */
  flush(): void {
    for (const cb of this.pending.splice(0)) cb();
    this.bufferedAmount = 0;
  }
  close(code: number): void {
    this.closedWith = code;
  }
  terminate(): void {
    this.terminated = true;
  }
}

const user = (role: Principal['role'], mfa = true): Principal => ({
  kind: 'user',
  name: 'u',
  role,
  mfa,
  sessionId: 's',
});

describe('LiveClient', () => {
  it('passes only the message types the role may read', () => {
    const bus = new LiveBus();
    const sockets = { receiver: new StuckSocket(), operator: new StuckSocket() };
    for (const [role, s] of Object.entries(sockets)) {
      const c = new LiveClient(s, user(role as Principal['role']), () => {});
      bus.subscribe((f) => c.offer(f));
    }
    for (const type of ['reading', 'alarm', 'device', 'system'] as const) bus.publish(type, { n: 1 });
    const types = (s: StuckSocket) => s.sent.map((j) => (JSON.parse(j) as { type: string }).type);
    assert.deepEqual(types(sockets.operator), ['reading', 'alarm', 'device', 'system']);
    assert.deepEqual(types(sockets.receiver), ['reading', 'alarm', 'device']);
  });

  it('sends nothing to a half-authenticated session', () => {
    const s = new StuckSocket();
    const c = new LiveClient(s, user('admin', false), () => {});
    assert.equal(c.allowsAny(), false);
    assert.equal(c.offer({ type: 'reading', json: '{}' }), 'skipped');
  });

  it('drops a client whose queue is full with 1013, without blocking the bus or the other clients', () => {
    const bus = new LiveBus();
    const slow = new StuckSocket();
    const fast = new StuckSocket();
    let drops = 0;
    const slowClient = new LiveClient(slow, user('viewer'), () => drops++, {
      maxQueue: 10,
      maxBufferedBytes: 1 << 30,
    });
    const fastClient = new LiveClient(fast, user('viewer'), () => {}, {
      maxQueue: 10,
      maxBufferedBytes: 1 << 30,
    });
    bus.subscribe((f) => slowClient.offer(f));
    bus.subscribe((f) => {
      fastClient.offer(f);
      fast.flush(); // this one keeps up
    });
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) bus.publish('alarm', { i });
    assert.ok(performance.now() - t0 < 2000, 'publishing never waits for a socket');
    assert.equal(slow.sent.length, 10, 'bounded: at most maxQueue messages pending');
    assert.equal(slow.closedWith, CLOSE_SLOW_CONSUMER);
    assert.equal(drops, 1, 'dropped once');
    assert.ok(slowClient.closed);
    assert.equal(fast.sent.length, 10_000);
    assert.equal(fastClient.closed, false);
  });

  it('drops a client whose socket buffer exceeds the byte bound', () => {
    const s = new StuckSocket();
    let drops = 0;
    const c = new LiveClient(s, user('viewer'), () => drops++, { maxQueue: 1000, maxBufferedBytes: 1000 });
    const big = { type: 'reading' as const, json: 'x'.repeat(600) };
    assert.equal(c.offer(big), 'sent');
    assert.equal(c.offer(big), 'sent');
    assert.equal(c.offer(big), 'dropped');
    assert.equal(drops, 1);
    assert.equal(c.offer(big), 'skipped');
  });

  it('keeps a client that catches up', () => {
    const s = new StuckSocket();
    const c = new LiveClient(s, user('viewer'), () => assert.fail('not dropped'), { maxQueue: 5 });
    for (let i = 0; i < 100; i++) {
      assert.equal(c.offer({ type: 'reading', json: '{}' }), 'sent');
      if (c.queued === 5) s.flush();
    }
    assert.equal(c.closed, false);
  });
});
