/**
 * Migrations that change what is stored under keys: the audit chain re-keyed with HMAC, sealed
 * secrets bound to their row, API tokens bound to their creator. Each starts from a database as
 * the previous release left it (migrations up to 5, rows written the old way).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { sealV1 } from '../../keys/master-key.fixture.ts';
import { deviceSecretIdentity, MasterKey, totpSecretIdentity } from '../../keys/master-key.ts';
import { GENESIS_HASH, legacyAuditHash } from '../audit-chain.ts';
import { sampleDevice } from '../store-records.fixture.ts';
import { openSqliteAdapters } from './sqlite-adapters.ts';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-migrate-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const RAW = randomBytes(32);
const master = new MasterKey(RAW);
const keys = { key: master.databaseKey(), auditKey: master.auditKey() };

/** A database at schema 5 (the release before keyed audit, bound blobs and token owners). */
function previousRelease(): { path: string; raw: Database.Database } {
  const path = join(root, `db-${++n}.sqlite`);
  openSqliteAdapters({
    path,
    ...keys,
    migrations: SQLITE_MIGRATIONS.filter((m) => m.version <= 5),
  }).database.close();
  const raw = new Database(path);
  raw.pragma(`cipher='sqlcipher'`);
  raw.pragma('legacy=4');
  raw.pragma(`key="x'${keys.key.toString('hex')}'"`);
  return { path, raw };
}

/** Appends entries linked the old way: unkeyed SHA-256. */
function legacyAudit(raw: Database.Database, count: number): string {
  let prev = GENESIS_HASH;
  const ins = raw.prepare(
    'INSERT INTO audit (id, ts, actor, action, object, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (let id = 1; id <= count; id++) {
    const e = { id, ts: id * 1000, actor: 'cli', action: 'device.add', object: `d${id}`, detail: { id } };
    const hash = legacyAuditHash(prev, e);
    ins.run(id, e.ts, e.actor, e.action, e.object, JSON.stringify(e.detail), prev, hash);
    prev = hash;
  }
  return prev;
}

describe('migration: audit chain keyed with HMAC', () => {
  it('re-chains an intact plain SHA-256 chain, records it, and the result verifies under the key', async () => {
    const { path, raw } = previousRelease();
    const oldHead = legacyAudit(raw, 5);
    raw.close();
    const { store } = openSqliteAdapters({ path, ...keys, master });
    try {
      const v = await store.verifyAudit();
      assert.deepEqual([v.ok, v.entries, v.firstBroken], [true, 6, null]);
      const [entry] = await store.queryAudit({ action: 'audit.rechain' });
      assert.deepEqual(entry?.detail, {
        migration: 7,
        from: 'sha256',
        to: 'hmac-sha256',
        entries: 5,
        oldHeadHash: oldHead,
        oldChainIntact: true,
        oldFirstBroken: null,
      });
      // the content is unchanged, only the links
      assert.deepEqual(
        (await store.queryAudit({ action: 'device.add' })).map((a) => a.object),
        ['d1', 'd2', 'd3', 'd4', 'd5'],
      );
    } finally {
      await store.close();
    }
  });

  it('records that the old chain was already broken instead of laundering it', async () => {
    const { path, raw } = previousRelease();
    legacyAudit(raw, 4);
    raw.exec(`DROP TRIGGER audit_no_update; UPDATE audit SET detail = '{"id":33}' WHERE id = 3;`);
    raw.close();
    const { store } = openSqliteAdapters({ path, ...keys, master });
    try {
      const [entry] = await store.queryAudit({ action: 'audit.rechain' });
      assert.equal(entry?.detail.oldChainIntact, false);
      assert.equal(entry?.detail.oldFirstBroken, 3);
    } finally {
      await store.close();
    }
  });
});

describe('migration: sealed secrets bound to their row', () => {
  it('re-seals device secrets and TOTP secrets to their row; the old blobs cannot be swapped in after', async () => {
    const { path, raw } = previousRelease();
    const s1 = randomBytes(32);
    const s2 = randomBytes(32);
    const totp = randomBytes(20);
    for (const [id, s] of [
      ['truck-0001', s1],
      ['truck-0002', s2],
    ] as const) {
      const d = sampleDevice(id);
      raw
        .prepare(
          `INSERT INTO devices (id, profile, status, alg, current_kid, created_at, updated_at) VALUES (?, ?, 'enabled', 'A256GCM', 1, 1, 1)`,
        )
        .run(d.id, d.profile);
      raw
        .prepare(
          `INSERT INTO device_keys (device_id, kid, secret_enc, created_at, status) VALUES (?, 1, ?, 1, 'active')`,
        )
        .run(id, sealV1(RAW, 'device-secret', s));
    }
    raw
      .prepare(
        `INSERT INTO users (name, role, status, password_hash, must_change_password, must_enrol_mfa, totp_secret_enc,
         created_at, updated_at, password_changed_at) VALUES ('alice', 'admin', 'active', 'x', 0, 0, ?, 1, 1, 1)`,
      )
      .run(sealV1(RAW, 'totp-secret', totp));
    raw.close();
    const { store, accounts } = openSqliteAdapters({ path, ...keys, master });
    try {
      const k1 = await store.getDeviceKey('truck-0001', 1);
      const k2 = await store.getDeviceKey('truck-0002', 1);
      assert.deepEqual(
        master.open('device-secret', k1!.secretEnc, deviceSecretIdentity('truck-0001', 1)),
        s1,
      );
      assert.deepEqual(
        master.open('device-secret', k2!.secretEnc, deviceSecretIdentity('truck-0002', 1)),
        s2,
      );
      assert.throws(() => master.open('device-secret', k1!.secretEnc, deviceSecretIdentity('truck-0002', 1)));
      const alice = await accounts.getUser('alice');
      assert.deepEqual(master.open('totp-secret', alice!.totpSecretEnc!, totpSecretIdentity('alice')), totp);
      const [entry] = await store.queryAudit({ action: 'keys.reseal' });
      assert.deepEqual(entry?.detail, { migration: 9, deviceKeys: 2, totpSecrets: 1 });
    } finally {
      await store.close();
    }
  });
});

describe('migration: API tokens belong to their creator', () => {
  it('binds a token to the user who created it and revokes one with no known creator', async () => {
    const { path, raw } = previousRelease();
    raw
      .prepare(
        `INSERT INTO users (name, role, status, password_hash, must_change_password, must_enrol_mfa, created_at,
         updated_at, password_changed_at) VALUES ('root', 'admin', 'active', 'x', 0, 0, 1, 1, 1)`,
      )
      .run();
    const tok = raw.prepare(
      `INSERT INTO api_tokens (id, secret_hash, label, role, created_by, created_at, expires_at) VALUES (?, 'h', 'l', 'admin', ?, 1, 9999999999999)`,
    );
    tok.run('00000000000000aa', 'user:root');
    tok.run('00000000000000bb', 'cli');
    tok.run('00000000000000cc', 'user:gone');
    raw.close();
    const { store, accounts } = openSqliteAdapters({ path, ...keys, master });
    try {
      const [a, b, c] = await accounts.listApiTokens();
      assert.deepEqual([a?.owner, a?.revokedAt], ['root', null]);
      assert.equal(b?.owner, null);
      assert.equal(typeof b?.revokedAt, 'number');
      assert.equal(c?.owner, null);
      assert.equal(typeof c?.revokedAt, 'number');
      const [entry] = await store.queryAudit({ action: 'token.migrate_owner' });
      assert.deepEqual(entry?.detail, {
        migration: 8,
        bound: 1,
        revokedWithoutOwner: ['00000000000000bb', '00000000000000cc'],
      });
    } finally {
      await store.close();
    }
  });
});
