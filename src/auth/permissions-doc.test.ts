import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PERMISSIONS_DOC_PATH, permissionsDocCommand, renderPermissionsDoc } from './permissions-doc.ts';
import { PERMISSION_NAMES } from './rbac.ts';

describe('docs/permissions.md', () => {
  it('is what the permission table generates (run node src/auth/permissions-doc.ts to update)', () => {
    assert.equal(readFileSync(PERMISSIONS_DOC_PATH, 'utf8'), renderPermissionsDoc());
  });

  it('has one matrix row per permission', () => {
    const doc = renderPermissionsDoc();
    for (const p of PERMISSION_NAMES)
      assert.match(doc, new RegExp(`^\\| \`${p.replace('.', '\\.')}\` \\|`, 'm'));
  });
});

describe('node src/auth/permissions-doc.ts', () => {
  const sink = () => {
    const lines: string[] = [];
    return { lines, write: (s: string) => lines.push(s) };
  };

  it('writes the document, and --check then finds it current', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-permdoc-'));
    try {
      const path = join(dir, 'permissions.md');
      const out = sink();
      assert.equal(permissionsDocCommand([], path, out, sink()), 0);
      assert.equal(readFileSync(path, 'utf8'), renderPermissionsDoc());
      assert.deepEqual(out.lines, [`wrote ${path}\n`]);
      const err = sink();
      assert.equal(permissionsDocCommand(['--check'], path, sink(), err), 0);
      assert.deepEqual(err.lines, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--check answers 1 and says how to fix a stale document, without touching it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-permdoc-'));
    try {
      const path = join(dir, 'permissions.md');
      writeFileSync(path, 'stale\n');
      const err = sink();
      assert.equal(permissionsDocCommand(['--check'], path, sink(), err), 1);
      assert.deepEqual(err.lines, [`${path} is out of date: run node src/auth/permissions-doc.ts\n`]);
      assert.equal(readFileSync(path, 'utf8'), 'stale\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
