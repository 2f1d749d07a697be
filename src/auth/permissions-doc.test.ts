import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PERMISSIONS_DOC_PATH, renderPermissionsDoc } from './permissions-doc.ts';
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
