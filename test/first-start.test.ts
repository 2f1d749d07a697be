/** What a first start on an empty data directory must create (DESIGN.md §6, issue #2). */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openContext } from '../src/data-dir/context.ts';
import { isVigilError } from '../src/errors.ts';

describe('first start on an empty data directory', () => {
  it('creates master key 0600, CA, server certificate, CRL and an encrypted database', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vigil-first-')), 'data');
    const env = { PATH: process.env.PATH };
    try {
      const ctx = await openContext({
        dataDir: dir,
        env,
        logLevel: 'silent',
        create: true,
        overrides: { pki: { hostNames: ['vigil.example.org'] } },
      });
      await ctx.store.appendAudit({
        ts: Date.now(),
        actor: 'test',
        action: 'probe',
        object: 'plaintext-marker-xyz',
        detail: {},
      });
      await ctx.close();

      assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      const db = readFileSync(join(dir, 'vigil.db'));
      assert.notEqual(db.subarray(0, 15).toString('latin1'), 'SQLite format 3');
      assert.equal(db.includes(Buffer.from('plaintext-marker-xyz')), false);

      const ca = new X509Certificate(readFileSync(join(dir, 'pki/ca.crt')));
      assert.equal(ca.ca, true);
      assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      const server = new X509Certificate(readFileSync(join(dir, 'pki/server.crt')));
      assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey));
      for (const san of ['DNS:localhost', 'DNS:vigil.example.org', 'IP Address:127.0.0.1']) {
        assert.ok(server.subjectAltName?.includes(san), san);
      }
      assert.match(server.subjectAltName ?? '', /IP Address:(::1|0:0:0:0:0:0:0:1)\b/);
      assert.match(readFileSync(join(dir, 'pki/crl.pem'), 'utf8'), /BEGIN X509 CRL/);
      // Private keys at rest are sealed, never PEM.
      for (const f of ['pki/ca.key.sealed', 'pki/server.key.sealed']) {
        const sealed = readFileSync(join(dir, f));
        assert.equal(sealed.includes(Buffer.from('PRIVATE KEY')), false, f);
        assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600);
      }

      // A second open reuses everything; a wrong master key is refused clearly.
      const again = await openContext({ dataDir: dir, env, logLevel: 'silent' });
      assert.deepEqual(again.created, []);
      await again.close();
      await assert.rejects(
        openContext({ dataDir: dir, env: { VIGIL_MASTER_KEY: 'b'.repeat(64) }, logLevel: 'silent' }),
        (e) => isVigilError(e, 'VIGIL_ERR_MASTER_KEY'),
      );
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
