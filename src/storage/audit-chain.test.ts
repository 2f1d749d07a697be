import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { auditHash, GENESIS_HASH, legacyAuditHash, verifyAuditChain } from './audit-chain.ts';
import type { AuditRecord } from './store.ts';

const KEY = Buffer.alloc(32, 7);
const entry = {
  id: 1,
  ts: 1_795_305_600_000,
  actor: 'cli',
  action: 'device.add',
  object: 'truck-0001',
  detail: { b: 1.5, a: [1, { z: 'é', y: null }] },
};
const JCS =
  '{"action":"device.add","actor":"cli","detail":{"a":[1,{"y":null,"z":"é"}],"b":1.5},"id":1,"object":"truck-0001","ts":1795305600000}';

describe('auditHash', () => {
  it('is HMAC-SHA256 under the audit key over the previous hash and the JCS of the entry', () => {
    const expected = createHmac('sha256', KEY).update(`${GENESIS_HASH}|${JCS}`, 'utf8').digest('hex');
    assert.equal(auditHash(KEY, GENESIS_HASH, entry), expected);
    assert.notEqual(auditHash(Buffer.alloc(32, 8), GENESIS_HASH, entry), expected);
  });

  it('keeps the old unkeyed link for the migration (an independently computed vector)', () => {
    // python3: sha256(('0'*64 + '|' + json.dumps(entry, sort_keys=True, separators=(',', ':'),
    //   ensure_ascii=False)).encode()).hexdigest()
    assert.equal(
      legacyAuditHash(GENESIS_HASH, entry),
      'c88005e033ab2e2928117340f2b7c74ffe7aacbf50f828fef06f30553c91263b',
    );
  });
});

describe('verifyAuditChain', () => {
  const chain = (n: number, key = KEY): AuditRecord[] => {
    const out: AuditRecord[] = [];
    let prev = GENESIS_HASH;
    for (let id = 1; id <= n; id++) {
      const base = { id, ts: id, actor: 'system', action: 'x', object: null, detail: { id } };
      const hash = auditHash(key, prev, base);
      out.push({ ...base, prevHash: prev, hash });
      prev = hash;
    }
    return out;
  };
  const outcome = (r: ReturnType<typeof verifyAuditChain>) => [r.ok, r.entries, r.firstBroken];

  it('accepts an intact chain and an empty one, and reports the head', () => {
    const c = chain(4);
    assert.deepEqual(verifyAuditChain(c, KEY), {
      ok: true,
      entries: 4,
      firstBroken: null,
      head: { id: 4, hash: c[3]?.hash },
    });
    assert.deepEqual(verifyAuditChain([], KEY), { ok: true, entries: 0, firstBroken: null, head: null });
  });

  it('names an edited entry', () => {
    const c = chain(4);
    c[2] = { ...c[2]!, detail: { id: 99 } };
    assert.deepEqual(outcome(verifyAuditChain(c, KEY)), [false, 4, 3]);
  });

  it('names the entry after a removed one, and a chain that does not start at genesis', () => {
    const c = chain(4);
    assert.deepEqual(outcome(verifyAuditChain([c[0]!, c[2]!, c[3]!], KEY)), [false, 3, 3]);
    assert.deepEqual(outcome(verifyAuditChain(c.slice(1), KEY)), [false, 3, 2]);
  });

  it('refuses a whole chain rebuilt without the key (consistent, but under another key)', () => {
    assert.deepEqual(outcome(verifyAuditChain(chain(4, Buffer.alloc(32, 9)), KEY)), [false, 4, 1]);
  });
});
