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
});
