import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditHash, GENESIS_HASH, verifyAuditChain } from './audit-chain.ts';
import type { AuditRecord } from './store.ts';

describe('auditHash', () => {
  it('matches an independently computed vector', () => {
    // python3: sha256(('0'*64 + '|' + json.dumps(entry, sort_keys=True, separators=(',', ':'),
    //   ensure_ascii=False)).encode()).hexdigest()
    const h = auditHash(GENESIS_HASH, {
      id: 1,
      ts: 1_795_305_600_000,
      actor: 'cli',
      action: 'device.add',
      object: 'truck-0001',
      detail: { b: 1.5, a: [1, { z: 'é', y: null }] },
    });
    assert.equal(h, 'c88005e033ab2e2928117340f2b7c74ffe7aacbf50f828fef06f30553c91263b');
  });
});

describe('verifyAuditChain', () => {
  const chain = (n: number): AuditRecord[] => {
    const out: AuditRecord[] = [];
    let prev = GENESIS_HASH;
    for (let id = 1; id <= n; id++) {
      const base = { id, ts: id, actor: 'system', action: 'x', object: null, detail: { id } };
      const hash = auditHash(prev, base);
      out.push({ ...base, prevHash: prev, hash });
      prev = hash;
    }
    return out;
  };

  it('accepts an intact chain and an empty one', () => {
    assert.deepEqual(verifyAuditChain(chain(4)), { ok: true, entries: 4, firstBroken: null });
    assert.deepEqual(verifyAuditChain([]), { ok: true, entries: 0, firstBroken: null });
  });

  it('names an edited entry', () => {
    const c = chain(4);
    c[2] = { ...c[2]!, detail: { id: 99 } };
    assert.deepEqual(verifyAuditChain(c), { ok: false, entries: 4, firstBroken: 3 });
  });

  it('names the entry after a removed one, and a chain that does not start at genesis', () => {
    const c = chain(4);
    assert.deepEqual(verifyAuditChain([c[0]!, c[2]!, c[3]!]), { ok: false, entries: 3, firstBroken: 3 });
    assert.deepEqual(verifyAuditChain(c.slice(1)), { ok: false, entries: 3, firstBroken: 2 });
  });
});
