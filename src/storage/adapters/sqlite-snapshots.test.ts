import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  deviceSecretIdentity,
  MasterKey,
  notifyCredentialIdentity,
  type SealPurpose,
  totpSecretIdentity,
} from '../../keys/master-key.ts';
import { SEALED_COLUMNS } from '../sealed-columns.ts';
import { sampleDevice, sampleKey } from '../store-records.fixture.ts';
import { openSqliteAdapters } from './sqlite-adapters.ts';
import { SqliteDatabase } from './sqlite-database.ts';
import { SqliteSnapshots } from './sqlite-snapshots.ts';

const open = (path: string, m: MasterKey) =>
  openSqliteAdapters({ path, key: m.databaseKey(), auditKey: m.auditKey(), master: m });

describe('SQLite snapshots (the backup port)', () => {
  it('copies consistently while a writer commits, re-keys and re-seals every sealed column to its row, and knows every sealed column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-snap-'));
    try {
      const old = new MasterKey(randomBytes(32));
      const live = open(join(dir, 'live.db'), old);
      const secret = (s: string) => Buffer.from(s, 'utf8');
      await live.store.addDevice(
        sampleDevice('dev-snap-1'),
        sampleKey('dev-snap-1', 1, {
          secretEnc: old.seal('device-secret', secret('device'), deviceSecretIdentity('dev-snap-1', 1)),
        }),
      );
      await live.accounts.addUser({
        name: 'quill',
        role: 'quality',
        status: 'active',
        passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g',
        mustChangePassword: false,
        mustEnrolMfa: false,
        totpSecretEnc: old.seal('totp-secret', secret('totp'), totpSecretIdentity('quill')),
        totpPendingEnc: old.seal('totp-secret', secret('pending'), totpSecretIdentity('quill')),
        totpPendingAt: 1,
        lastTotpStep: null,
        createdAt: 1,
        updatedAt: 1,
        passwordChangedAt: 1,
        lastLoginAt: null,
      });
      const notify = (name: string) =>
        old.seal('notify-credential', secret(name), notifyCredentialIdentity(name));
      await live.notifications.putSecret('email.password', notify('email.password'), 1);
      await live.notifications.putSecret('webhook:c-1', notify('webhook:c-1'), 1);
      // The VAPID public key shares the table in clear: it is copied, not re-sealed.
      await live.notifications.putSecret('push.vapid-public-key', secret('public'), 1);
      await live.store.appendAudit({ ts: 1, actor: 't', action: 'a', object: null, detail: {} });

      const snaps = new SqliteSnapshots({ path: join(dir, 'live.db'), keys: old });
      const writing = live.store.appendAudit({ ts: 2, actor: 't', action: 'b', object: null, detail: {} });
      const facts = await snaps.snapshot(join(dir, 'copy.db'));
      await writing;
      assert.equal(facts.rowCounts.devices, 1);
      assert.ok(facts.rowCounts.audit === 1 || facts.rowCounts.audit === 2);
      const check = await snaps.check(join(dir, 'copy.db'), old);
      assert.deepEqual(check.integrity, ['ok']);
      assert.equal(check.audit.ok, true);

      // The new master key keeps the hash root, so the audit chain's key stays.
      const next = new MasterKey(randomBytes(32), { hashRoot: old.exportForBackup().hashRoot });
      const seen: string[] = [];
      const r = await snaps.rekey(
        join(dir, 'copy.db'),
        old,
        next.databaseKey(),
        (purpose: SealPurpose, b, id) => {
          seen.push(`${purpose} ${id}`);
          return next.seal(purpose, old.open(purpose, b, id), id);
        },
      );
      assert.equal(r.resealed, 5);
      assert.deepEqual(seen.sort(), [
        'device-secret device:dev-snap-1#kid:1',
        'notify-credential notify-secret:email.password',
        'notify-credential notify-secret:webhook:c-1',
        'totp-secret user:quill',
        'totp-secret user:quill',
      ]);
      assert.throws(() =>
        SqliteDatabase.open({ path: join(dir, 'copy.db'), key: old.databaseKey(), auditKey: old.auditKey() }),
      );
      const reopened = open(join(dir, 'copy.db'), next);
      assert.equal((await reopened.store.verifyAudit()).ok, true);
      // Every value opens under the new key for its own row, and only there.
      const k = await reopened.store.getDeviceKey('dev-snap-1', 1);
      const dk = k?.secretEnc as Buffer;
      assert.equal(
        next.open('device-secret', dk, deviceSecretIdentity('dev-snap-1', 1)).toString(),
        'device',
      );
      assert.throws(() => next.open('device-secret', dk, deviceSecretIdentity('dev-snap-2', 1)));
      const u = await reopened.accounts.getUser('quill');
      assert.equal(
        next.open('totp-secret', u?.totpSecretEnc as Buffer, totpSecretIdentity('quill')).toString(),
        'totp',
      );
      assert.equal(
        next.open('totp-secret', u?.totpPendingEnc as Buffer, totpSecretIdentity('quill')).toString(),
        'pending',
      );
      for (const name of ['email.password', 'webhook:c-1']) {
        const s = (await reopened.notifications.getSecret(name)) as Buffer;
        assert.equal(next.open('notify-credential', s, notifyCredentialIdentity(name)).toString(), name);
        assert.throws(() => next.open('notify-credential', s, notifyCredentialIdentity('sms.token')));
      }
      assert.equal((await reopened.notifications.getSecret('push.vapid-public-key'))?.toString(), 'public');

      // Every sealed column of the schema is in SEALED_COLUMNS, or a restore would leave it
      // sealed under the old master key.
      const cols = reopened.database
        .scope('t')
        .all<{ t: string; c: string }>(
          `SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND (p.name LIKE '%\\_enc' ESCAPE '\\' OR p.name = 'sealed')`,
        );
      assert.ok(cols.length >= 4);
      for (const { t, c } of cols) {
        assert.ok(
          SEALED_COLUMNS.some((s) => s.table === t && s.column === c),
          `${t}.${c} is not re-sealed at restore`,
        );
      }
      await reopened.store.close();
      await live.store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
