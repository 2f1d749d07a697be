import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FdBudget } from './fd-budget.ts';

describe('FdBudget', () => {
  it('gives each listener its own cap when the limit covers both', () => {
    const b = new FdBudget({
      limit: 20_000,
      reserveStore: 64,
      reserveProcess: 128,
      max: { mqtt: 10_000, https: 4096 },
    });
    assert.deepEqual(b.guaranteed, { mqtt: 10_000, https: 4096 });
  });

  it('never lets an HTTPS flood take the descriptors guaranteed to MQTT, nor the reverse', () => {
    const b = new FdBudget({
      limit: 1200,
      reserveStore: 64,
      reserveProcess: 136,
      max: { mqtt: 600, https: 600 },
    });
    assert.equal(b.available, 1000);
    assert.deepEqual(b.guaranteed, { mqtt: 500, https: 500 });
    let https = 0;
    while (b.acquire('https')) https++;
    assert.equal(https, 500, 'HTTPS stops where the MQTT share starts');
    let mqtt = 0;
    while (b.acquire('mqtt')) mqtt++;
    assert.equal(mqtt, 500, 'MQTT still gets its whole share during the flood');
  });

  it('splits a short limit in proportion to the caps and takes released descriptors back', () => {
    const b = new FdBudget({
      limit: 1000,
      reserveStore: 0,
      reserveProcess: 0,
      max: { mqtt: 900, https: 300 },
    });
    assert.deepEqual(b.guaranteed, { mqtt: 750, https: 250 });
    let mqtt = 0;
    while (b.acquire('mqtt')) mqtt++;
    assert.equal(mqtt, 750);
    for (let i = 0; i < 10; i++) b.release('mqtt');
    assert.equal(b.used('mqtt'), 740);
    let https = 0;
    while (b.acquire('https')) https++;
    assert.equal(https, 250, 'https keeps its whole share');
    assert.equal(b.acquire('mqtt'), true, 'a released descriptor can be taken again');
  });

  it('refuses a limit too small to reserve anything', () => {
    const b = new FdBudget({
      limit: 100,
      reserveStore: 64,
      reserveProcess: 128,
      max: { mqtt: 10, https: 10 },
    });
    assert.equal(b.available, 0);
    assert.equal(b.acquire('mqtt'), false);
    assert.throws(
      () => new FdBudget({ limit: 0, reserveStore: 0, reserveProcess: 0, max: { mqtt: 1, https: 1 } }),
    );
  });
});
