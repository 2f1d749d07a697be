import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { MasterKey } from './master-key.ts';
import { loadOrCreateMasterKey } from './master-key-file.ts';
import { MASTER_KEY_CREDENTIAL, masterKeySource } from './master-key-source.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-mk-source-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A data dir and a systemd-style credentials directory holding `key` (hex) as vigil-master-key. */
function setup(key?: Buffer) {
  const dir = join(root, String(++n));
  const credDir = join(dir, 'credentials');
  mkdirSync(credDir, { recursive: true });
  if (key) writeFileSync(join(credDir, MASTER_KEY_CREDENTIAL), `${key.toString('hex')}\n`, { mode: 0o400 });
  return { credDir, keyPath: join(dir, 'master.key') };
}

describe('master key from the systemd credential', () => {
  it('reads LoadCredential=vigil-master-key from $CREDENTIALS_DIRECTORY and writes no master.key', () => {
    const raw = randomBytes(32);
    const { credDir, keyPath } = setup(raw);
    const env = { CREDENTIALS_DIRECTORY: credDir };
    const { key, created } = loadOrCreateMasterKey(keyPath, env);
    assert.equal(created, false);
    assert.equal(key.fingerprint(), new MasterKey(raw).fingerprint());
    assert.equal(existsSync(keyPath), false, 'the key stays with systemd, not in the data directory');
    assert.equal(masterKeySource(env), 'credential');
  });

  it('refuses a credential and VIGIL_MASTER_KEY at once (which one would be meant?)', () => {
    const { credDir, keyPath } = setup(randomBytes(32));
    assert.throws(
      () =>
        loadOrCreateMasterKey(keyPath, { CREDENTIALS_DIRECTORY: credDir, VIGIL_MASTER_KEY: 'b'.repeat(64) }),
      (err) => isVigilError(err, 'VIGIL_ERR_MASTER_KEY') && /keep one/.test(err.message),
    );
  });

  it('refuses a credential that is not a key', () => {
    const { credDir, keyPath } = setup();
    writeFileSync(join(credDir, MASTER_KEY_CREDENTIAL), 'hunter2\n');
    assert.throws(
      () => loadOrCreateMasterKey(keyPath, { CREDENTIALS_DIRECTORY: credDir }),
      (err) => isVigilError(err, 'VIGIL_ERR_MASTER_KEY'),
    );
  });

  it('without the credential, uses VIGIL_MASTER_KEY, else the file', () => {
    const { credDir, keyPath } = setup();
    assert.equal(
      masterKeySource({ CREDENTIALS_DIRECTORY: credDir, VIGIL_MASTER_KEY: 'c'.repeat(64) }),
      'env',
    );
    assert.equal(masterKeySource({ CREDENTIALS_DIRECTORY: credDir }), 'file');
    const { created } = loadOrCreateMasterKey(keyPath, { CREDENTIALS_DIRECTORY: credDir });
    assert.equal(created, true);
    assert.ok(existsSync(keyPath));
  });
});
