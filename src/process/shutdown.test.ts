import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { runShutdown } from './shutdown.ts';

const logger = pino({ level: 'silent' });

describe('runShutdown', () => {
  it('runs drain then finish steps in order and reports a clean drain', async () => {
    const order: string[] = [];
    const step = (name: string) => ({ name, run: async () => void order.push(name) });
    const out = await runShutdown(
      {
        drain: [step('broker'), step('https'), step('ingest')],
        force: () => ({ x: 1 }),
        finish: [step('audit')],
      },
      { timeoutMs: 2000, logger },
    );
    assert.deepEqual(order, ['broker', 'https', 'ingest', 'audit']);
    assert.equal(out.clean, true);
    assert.deepEqual(out.destroyed, {});
  });

  it('forces at the deadline when a drain step hangs, skips the rest of the drain, still finishes', async () => {
    const order: string[] = [];
    const t0 = Date.now();
    const out = await runShutdown(
      {
        drain: [
          { name: 'broker', run: () => void order.push('broker') },
          { name: 'https', run: () => new Promise<void>(() => {}) },
          { name: 'ingest', run: () => void order.push('ingest') },
        ],
        force: () => {
          order.push('force');
          return { https: 3 };
        },
        finish: [{ name: 'audit', run: () => void order.push('audit') }],
      },
      { timeoutMs: 1000, logger, finishReserveMs: 300 },
    );
    const elapsed = Date.now() - t0;
    assert.deepEqual(order, ['broker', 'force', 'audit']);
    assert.equal(out.clean, false);
    assert.deepEqual(out.cutShort, ['https']);
    assert.deepEqual(out.destroyed, { https: 3 });
    assert.ok(elapsed >= 650 && elapsed < 1000, `returned after ${elapsed} ms`);
  });

  it('returns by the deadline even when a finish step hangs, and treats a failed step as done', async () => {
    const out = await runShutdown(
      {
        drain: [{ name: 'broker', run: () => Promise.reject(new Error('boom')) }],
        force: () => ({}),
        finish: [{ name: 'audit', run: () => new Promise<void>(() => {}) }],
      },
      { timeoutMs: 500, logger },
    );
    assert.equal(out.clean, false);
    assert.deepEqual(out.cutShort, ['audit']);
    assert.ok(out.elapsedMs < 800);
  });
});
