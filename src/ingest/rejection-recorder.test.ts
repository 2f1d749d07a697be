import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { AuditInput } from '../storage/store.ts';
import { RejectionRecorder } from './rejection-recorder.ts';

function recorder(o: { maxKeysPerWindow?: number; failAudit?: boolean } = {}) {
  const audits: AuditInput[] = [];
  const counters: Record<string, number>[] = [];
  const store = {
    appendAudit: async (e: AuditInput) => {
      if (o.failAudit) throw new Error('disk full');
      audits.push(e);
      return { ...e, id: audits.length, prevHash: '', hash: '' };
    },
    addCounters: async (d: Record<string, number>) => {
      counters.push(d);
    },
  };
  const r = new RejectionRecorder({
    store: store as never,
    logger: pino({ level: 'silent' }),
    clock: () => 1000,
    ...(o.maxKeysPerWindow !== undefined ? { maxKeysPerWindow: o.maxKeysPerWindow } : {}),
  });
  return { r, audits, counters };
}

describe('RejectionRecorder', () => {
  it('counts every rejection by its short reason label', () => {
    const { r } = recorder();
    r.record({ code: 'VIGIL_ERR_MAC_INVALID', source: 'ingest', deviceId: 'a-001' });
    r.record({ code: 'VIGIL_ERR_MAC_INVALID', source: 'ingest', deviceId: 'a-001' });
    r.record({ code: 'acl_publish', source: 'broker' });
    assert.deepEqual(r.totals(), { mac_invalid: 2, acl_publish: 1 });
  });

  it('audits the first of a kind at once and sums the repeats in one summary per window', async () => {
    const { r, audits, counters } = recorder();
    for (let i = 0; i < 5; i++)
      r.record({ code: 'VIGIL_ERR_REPLAY', source: 'ingest', deviceId: 'a-001', address: '10.0.0.1' });
    r.record({ code: 'VIGIL_ERR_REPLAY', source: 'ingest', deviceId: 'b-001', detail: { why: 'seq 4' } });
    await r.flush();
    assert.deepEqual(
      audits.map((a) => [a.action, a.object, a.detail.reason, a.detail.repeats]),
      [
        ['ingest.reject', 'a-001', 'replay', undefined],
        ['ingest.reject', 'b-001', 'replay', undefined],
        ['ingest.reject_summary', 'a-001', 'replay', 4],
      ],
    );
    assert.equal(audits[1]?.detail.why, 'seq 4');
    assert.deepEqual(counters, [{ 'rejected.replay': 6 }]);
    await r.flush();
    assert.equal(counters.length, 1, 'nothing new, nothing written');
  });

  it('folds kinds past maxKeysPerWindow into one overflow summary', async () => {
    const { r, audits } = recorder({ maxKeysPerWindow: 2 });
    for (let i = 0; i < 5; i++) r.record({ code: 'VIGIL_ERR_TOPIC', source: 'ingest', deviceId: `d-00${i}` });
    await r.flush();
    assert.equal(audits.filter((a) => a.action === 'ingest.reject').length, 2);
    assert.deepEqual(
      audits.filter((a) => a.action === 'ingest.reject_overflow').map((a) => a.detail.rejections),
      [3],
    );
  });

  it('never throws when the audit log cannot be written', async () => {
    const { r, counters } = recorder({ failAudit: true });
    r.record({ code: 'VIGIL_ERR_DECRYPT', source: 'ingest' });
    await r.stop();
    assert.deepEqual(counters, [{ 'rejected.decrypt': 1 }]);
  });

  it('keeps rejections from different addresses apart, and audits them as the system', async () => {
    const { r, audits } = recorder();
    r.record({ code: 'VIGIL_ERR_ACL', source: 'ingest', deviceId: 'a-001', address: '10.0.0.1' });
    r.record({ code: 'VIGIL_ERR_ACL', source: 'ingest', deviceId: 'a-001', address: '10.0.0.2' });
    r.record({ code: 'VIGIL_ERR_ACL', source: 'ingest', deviceId: 'a-001' });
    await r.flush();
    assert.deepEqual(
      audits.map((a) => [a.actor, a.detail.address]),
      [
        ['system', '10.0.0.1'],
        ['system', '10.0.0.2'],
        ['system', undefined],
      ],
    );
  });

  it('closes a window on its own once started, and no more after stop()', async () => {
    const audits: AuditInput[] = [];
    const counters: Record<string, number>[] = [];
    const store = {
      appendAudit: async (e: AuditInput) => {
        audits.push(e);
        return { ...e, id: audits.length, prevHash: '', hash: '' };
      },
      addCounters: async (d: Record<string, number>) => {
        counters.push(d);
      },
    };
    const r = new RejectionRecorder({
      store: store as never,
      logger: pino({ level: 'silent' }),
      clock: () => 1,
      windowMs: 20,
    });
    r.start();
    r.record({ code: 'VIGIL_ERR_TOPIC', source: 'ingest' });
    for (let i = 0; i < 100 && counters.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
    assert.deepEqual(counters, [{ 'rejected.topic': 1 }], 'flushed by the window timer');
    await r.stop();
    r.record({ code: 'VIGIL_ERR_TOPIC', source: 'ingest' });
    await new Promise((res) => setTimeout(res, 80));
    assert.equal(counters.length, 1, 'no window closes after stop()');
  });

  it('does not keep the process alive with its window timer', async () => {
    const { r } = recorder();
    const timers = () => process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
    const before = timers();
    r.start();
    assert.equal(timers(), before);
    await r.stop();
  });

  it('never throws when the counters cannot be written', async () => {
    const store = {
      appendAudit: async (e: AuditInput) => ({ ...e, id: 1, prevHash: '', hash: '' }),
      addCounters: async () => {
        throw new Error('database is locked');
      },
    };
    const r = new RejectionRecorder({
      store: store as never,
      logger: pino({ level: 'silent' }),
      clock: () => 1,
    });
    r.record({ code: 'VIGIL_ERR_TOPIC', source: 'ingest' });
    await r.flush();
    assert.deepEqual(r.totals(), { topic: 1 });
  });
});
