import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type OffloadLink, OffloadSocket } from './tls-offload-socket.ts';

/** A link that records what the socket asks of its worker. */
function recorder(): { link: OffloadLink; calls: string[]; bytes: Buffer[] } {
  const calls: string[] = [];
  const bytes: Buffer[] = [];
  return {
    calls,
    bytes,
    link: {
      data: (id, chunk) => {
        calls.push(`data ${id}`);
        bytes.push(Buffer.from(chunk));
      },
      end: (id) => calls.push(`end ${id}`),
      destroy: (id) => calls.push(`destroy ${id}`),
      pause: (id) => calls.push(`pause ${id}`),
      resume: (id) => calls.push(`resume ${id}`),
      forget: (id) => calls.push(`forget ${id}`),
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('OffloadSocket', () => {
  it('pauses the worker socket when its read buffer is full and resumes it once read', async () => {
    const { link, calls } = recorder();
    const s = new OffloadSocket(7, '127.0.0.1', link);
    s.pause();
    for (let i = 0; i < 40; i++) s.deliver(Buffer.alloc(4096)); // beyond the 64 KiB default
    assert.ok(calls.includes('pause 7'), 'paused beyond the high-water mark');
    assert.equal(calls.filter((c) => c === 'pause 7').length, 1, 'once');
    s.resume();
    await tick();
    assert.ok(calls.includes('resume 7'));
    s.destroy();
  });

  it('holds a write callback while the worker reports its socket blocked, and releases it on drain', async () => {
    const { link, bytes } = recorder();
    const s = new OffloadSocket(1, '127.0.0.1', link);
    s.setBlocked(true);
    let done = false;
    s.write(Buffer.from('abc'), () => {
      done = true;
    });
    await tick();
    assert.equal(done, false, 'held while blocked');
    assert.deepEqual(Buffer.concat(bytes).toString(), 'abc', 'the bytes went to the worker all the same');
    s.setBlocked(false);
    await tick();
    assert.equal(done, true);
    s.destroy();
  });

  it('tells the worker to destroy its socket when destroyed here, and not when the worker closed it', async () => {
    const a = recorder();
    const mine = new OffloadSocket(2, '127.0.0.1', a.link);
    mine.destroy();
    await tick();
    assert.deepEqual(a.calls, ['destroy 2', 'forget 2']);
    const b = recorder();
    const theirs = new OffloadSocket(3, '127.0.0.1', b.link);
    let closed = false;
    theirs.on('close', () => {
      closed = true;
    });
    theirs.remoteClosed();
    await tick();
    assert.deepEqual(b.calls, ['forget 3']);
    assert.equal(closed, true);
  });

  it('fails a held write callback when the connection closes', async () => {
    const { link } = recorder();
    const s = new OffloadSocket(4, '127.0.0.1', link);
    s.on('error', () => {});
    s.setBlocked(true);
    let err: Error | null | undefined;
    s.write(Buffer.from('x'), (e) => {
      err = e;
    });
    await tick();
    s.remoteClosed();
    await tick();
    assert.ok(err instanceof Error);
  });

  it('relays the end of its writable side, and ends its readable side on the peer FIN', async () => {
    const { link, calls } = recorder();
    const s = new OffloadSocket(5, '127.0.0.1', link);
    let ended = false;
    s.on('end', () => {
      ended = true;
    });
    s.resume();
    s.remoteEnd();
    await tick();
    await tick();
    assert.equal(ended, true);
    assert.ok(calls.includes('end 5'), 'no half-open connection: its own side ends too');
  });
});
