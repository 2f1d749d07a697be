import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensurePrivateDir, writeFileAtomic } from './atomic-file.ts';
import { isVigilError } from './errors.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-atomic-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes with the final mode from the start and leaves no temporary file', () => {
    const dir = mkdtempSync(join(root, 'w-'));
    writeFileAtomic(join(dir, 'device.key'), 'secret', 0o600);
    assert.equal(readFileSync(join(dir, 'device.key'), 'utf8'), 'secret');
    assert.equal(statSync(join(dir, 'device.key')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['device.key']);
  });

  it('does not write through a link planted at a predictable temporary name', () => {
    const dir = mkdtempSync(join(root, 'p-'));
    const victim = join(root, `victim-${Date.now()}`);
    writeFileSync(victim, 'precious');
    // the name the old code used: <path>.tmp-<pid>
    symlinkSync(victim, join(dir, `device.key.tmp-${process.pid}`));
    writeFileAtomic(join(dir, 'device.key'), 'secret', 0o600);
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    assert.equal(readFileSync(join(dir, 'device.key'), 'utf8'), 'secret');
  });

  it('replaces a link at the target itself instead of writing through it', () => {
    const dir = mkdtempSync(join(root, 't-'));
    const victim = join(root, `victim2-${Date.now()}`);
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(dir, 'device.json'));
    writeFileAtomic(join(dir, 'device.json'), '{}', 0o600);
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    assert.equal(statSync(join(dir, 'device.json')).isFile(), true);
  });
});

describe('ensurePrivateDir', () => {
  const refused = (e: unknown) => isVigilError(e, 'VIGIL_ERR_USAGE');

  it('creates a missing directory with mode 0700', () => {
    const dir = join(root, 'new', 'bundle');
    ensurePrivateDir(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it('refuses a directory other users can write to', () => {
    const dir = join(root, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    assert.throws(() => ensurePrivateDir(dir), refused);
    chmodSync(dir, 0o775);
    assert.throws(() => ensurePrivateDir(dir), refused);
    chmodSync(dir, 0o755);
    ensurePrivateDir(dir);
  });

  it('refuses a symbolic link in place of the directory', () => {
    const real = mkdtempSync(join(root, 'real-'));
    symlinkSync(real, join(root, 'link-dir'));
    assert.throws(() => ensurePrivateDir(join(root, 'link-dir')), refused);
  });
});
