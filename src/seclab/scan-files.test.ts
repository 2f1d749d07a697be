import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { scanFiles } from './scan-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-seclab-scan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('scanFiles', () => {
  it('finds a secret as text and as base64 in nested files, and never reads an excluded file', async () => {
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'a.txt'), 'xx SECLAB-BATCH-7 yy SECLAB-BATCH-7');
    writeFileSync(
      join(dir, 'logs', 'b.log'),
      Buffer.from('{"token":"tok-1234567890abcdef"}').toString('base64'),
    );
    writeFileSync(join(dir, 'master.key'), 'SECLAB-BATCH-7 tok-1234567890abcdef');
    const r = await scanFiles({
      dir,
      exclude: [join(dir, 'master.key')],
      secrets: { batch: 'SECLAB-BATCH-7', token: 'tok-1234567890abcdef', absent: 'never-written-anywhere' },
      limitBytes: 1024 ** 2,
    });
    assert.equal(r.files, 2);
    assert.deepEqual(
      r.hits.sort((x, y) => x.file.localeCompare(y.file)),
      [
        { file: 'a.txt', secret: 'batch', count: 2 },
        { file: join('logs', 'b.log'), secret: 'token', count: 1 },
      ],
    );
  });

  it('reports a directory it cannot read as an error', async () => {
    await assert.rejects(
      scanFiles({ dir: join(dir, 'missing'), exclude: [], secrets: { x: 'abcdefghij' }, limitBytes: 1 }),
      /file scan failed/,
    );
  });
});
