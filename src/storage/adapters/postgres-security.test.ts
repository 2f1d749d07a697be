/**
 * The PostgreSQL adapters against a real PostgreSQL 15 that an attacker may sit in front of, or
 * operate: the connection policy (verify-full TLS, SCRAM only, no plain TCP without consent) and
 * the column encryption (a pg_dump shows no reading value, batch id or secret; a ciphertext moved
 * to another row does not open).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isVigilError } from '../../errors.ts';
import { deviceSecretIdentity, MasterKey, totpSecretIdentity } from '../../keys/master-key.ts';
import { makeTestPki } from '../../pki/test-pki.fixture.ts';
import { sampleBatch, sampleDevice, sampleMessage, sampleReading, T0 } from '../store-records.fixture.ts';
import { postgresFixture } from './postgres.fixture.ts';
import { openPostgresAdapters } from './postgres-adapters.ts';
import { PostgresDatabase } from './postgres-database.ts';

const pg = await postgresFixture();
const skip = pg.skip ?? false;
const master = () => new MasterKey(randomBytes(32));

/** Connects with `url` (a fresh schema) and runs one query. */
async function tryConnect(
  url: string,
  allowInsecure = false,
  logger?: { warn: (o: unknown, m: string) => void },
) {
  const db = PostgresDatabase.open({
    url,
    allowInsecure,
    master: master(),
    retryForMs: 0,
    ...(logger ? { logger: { ...logger, info() {}, error() {} } as never } : {}),
  });
  try {
    return (await db.q<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'))[0];
  } finally {
    await db.close();
  }
}

describe('PostgreSQL connection policy', { skip }, () => {
  it('connects with TLS verified against the CA and the host name, and SCRAM', async () => {
    const s = pg.server;
    assert.ok(s);
    assert.deepEqual(await tryConnect(s.url()), { ssl: true });
  });

  it('refuses a plain connection unless storage.allowInsecure, and then warns loudly', async () => {
    const s = pg.server;
    assert.ok(s);
    const plain = s.url('postgres', { sslmode: 'disable' });
    await assert.rejects(
      tryConnect(plain),
      (e) => isVigilError(e, 'VIGIL_ERR_CONFIG') && /allowInsecure/.test(String(e)),
    );
    const warnings: string[] = [];
    const row = await tryConnect(plain, true, { warn: (_o, m) => warnings.push(m) });
    assert.deepEqual(row, { ssl: false });
    assert.match(warnings.join('\n'), /STORAGE IS INSECURE/);
  });

  it('refuses TLS modes that do not verify the server name', async () => {
    const s = pg.server;
    assert.ok(s);
    for (const mode of ['require', 'verify-ca', 'prefer', 'allow']) {
      await assert.rejects(tryConnect(s.url('postgres', { sslmode: mode })), (e) =>
        isVigilError(e, 'VIGIL_ERR_CONFIG'),
      );
    }
  });

  it('refuses a server whose certificate comes from another CA', async () => {
    const s = pg.server;
    assert.ok(s);
    const rogue = await makeTestPki();
    const file = join(s.dir, 'rogue-ca.crt');
    writeFileSync(file, rogue.certPem);
    await assert.rejects(
      tryConnect(s.url('postgres', { sslrootcert: file })),
      /certificate|self.signed|verify/i,
    );
  });

  it('refuses a server whose certificate does not name the host it was reached by', async (t) => {
    const s = pg.server;
    assert.ok(s);
    // The machine's own name reaches the loopback listener but is not in the certificate.
    const name = hostname();
    const addr = await lookup(name, { family: 4 }).catch(() => undefined);
    if (addr?.address !== '127.0.0.1' || /^localhost$/i.test(name)) {
      t.skip('this machine has no second name for 127.0.0.1');
      return;
    }
    await assert.rejects(
      tryConnect(s.url().replace('@localhost:', `@${name}:`)),
      /altname|Hostname|certificate/i,
    );
  });

  it('refuses a server that asks for an MD5 password or for none (not SCRAM)', async () => {
    const s = pg.server;
    assert.ok(s);
    await s.query(`SET password_encryption = 'md5'; CREATE ROLE vigil_md5 LOGIN PASSWORD 'md5-pass-1'`);
    await s.query('CREATE ROLE vigil_trust LOGIN');
    const md5 = s.url().replace(/^postgres:\/\/[^@]*@/, 'postgres://vigil_md5:md5-pass-1@');
    await assert.rejects(tryConnect(md5), /MD5 password: only SCRAM/);
    const trust = s.url().replace(/^postgres:\/\/[^@]*@/, 'postgres://vigil_trust:x@');
    await assert.rejects(tryConnect(trust), /did not authenticate with SCRAM/);
  });
});

describe('PostgreSQL column encryption', { skip }, () => {
  it('a pg_dump shows no reading value, batch id, event body, TOTP seed, sealed key, notification text, command argument, claim, address or bed and ward label', async () => {
    const key = master();
    const db = await pg.fresh({ master: key });
    const s = pg.server;
    assert.ok(s);
    try {
      const dev = 'truck-0077';
      const secret = randomBytes(32);
      const sealedSecret = key.seal('device-secret', secret, deviceSecretIdentity(dev, 1));
      await db.store.addDevice(sampleDevice(dev), {
        deviceId: dev,
        kid: 1,
        secretEnc: sealedSecret,
        createdAt: T0,
        status: 'active',
      });
      const lot = 'LOT-QX7731-SENTINEL';
      await db.store.writeBatch(
        sampleBatch({
          readings: [
            sampleReading(dev, 1, 0, { data: { temp_c: 13.377, rh_pct: 61.23, lat: 52.3791, lon: 4.9003 } }),
          ],
          messages: [
            sampleMessage(dev, 2, { body: { type: 'door', batch: lot, note: 'EVBODY-SENTINEL-77' } }),
          ],
        }),
      );
      const seed = randomBytes(20);
      await db.accounts.addUser({
        name: 'quality1',
        role: 'quality',
        status: 'active',
        passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$SENTINELHASHVALUE',
        mustChangePassword: false,
        mustEnrolMfa: false,
        totpSecretEnc: key.seal('totp-secret', seed, totpSecretIdentity('quality1')),
        totpPendingEnc: null,
        totpPendingAt: null,
        lastTotpStep: null,
        createdAt: T0,
        updatedAt: T0,
        passwordChangedAt: T0,
        lastLoginAt: null,
      });
      await db.store.appendAudit({
        ts: T0,
        actor: 'cli',
        action: 'shipment.dispatch',
        object: 'S1',
        detail: { batch: lot },
      });
      await db.alarms.open(
        {
          rule: 'heat',
          subject: dev,
          startedAt: T0,
          raisedAt: T0,
          severity: 'critical',
          message: 'temp 13.377 °C above 8 °C',
          peak: 13.377,
        },
        T0,
      );
      // Notifications quote readings and hold contacts' addresses and browsers' push keys.
      await db.notifications.enqueue(
        [
          {
            alarmId: 'truck-0077/heat/1',
            event: 'raised',
            channel: 'email',
            contactId: 'quinn',
            recipient: 'quinn-sentinel@example.org',
            target: {},
            message: { subject: 'heat', text: 'temp 13.377 °C', short: '13.377', link: 'x', data: {} },
            escalationLevel: 0,
            level: 'critical',
          },
        ],
        T0,
      );
      await db.notifications.putConfig('contact', 'quinn', { phone: '+31600SENTINEL' }, T0);
      await db.notifications.putPushSubscription({
        userName: 'quality1',
        endpoint: 'https://push.example/e1',
        p256dh: 'P256DH-SENTINEL-KEY',
        auth: 'PUSHAUTH-SENTINEL',
        createdAt: T0,
      });
      // Commands carry arguments, results and reasons; claims a CSR, a reply and an address; the
      // sinks' outbox only references readings (their values stay encrypted in readings).
      const cmdId = '00000000-0000-4000-8000-000000000077';
      await db.commands.enqueue({
        id: cmdId,
        deviceId: dev,
        op: 'set_interval',
        args: { note: 'CMDARG-SENTINEL' },
        state: 'queued',
        outcome: null,
        error: null,
        result: null,
        createdBy: 'user:quality1',
        reason: 'CMDREASON-SENTINEL',
        createdAt: T0,
        expiresAt: T0 + 60_000,
        sentAt: null,
        sendCount: 0,
        downlinkSeq: null,
        ackedAt: null,
        updatedAt: T0,
      });
      await db.commands.recordSend(cmdId, T0 + 1);
      await db.commands.recordAck(
        cmdId,
        dev,
        { ok: false, error: 'CMDERR-SENTINEL', result: { r: 'CMDRES-SENTINEL' } },
        T0 + 2,
      );
      await db.claims.addBatch({
        name: 'factory-s',
        certSerial: 'abcdef01',
        certPem: 'PEM',
        maxUses: 5,
        uses: 0,
        expiresAt: T0 + 86_400_000,
        createdAt: T0,
        createdBy: 'cli',
        revokedAt: null,
      });
      await db.claims.admitClaim(
        {
          serial: 'SN-SENTINEL',
          batch: 'factory-s',
          profile: 'temperature-probe',
          csr: 'CSR-SENTINEL-BASE64',
          keyFp: 'ff'.repeat(32),
          state: 'pending',
          deviceId: null,
          reply: null,
          attempts: 1,
          receivedAt: T0,
          lastSeenAt: T0,
          address: '198.51.100.77',
          decidedAt: null,
          decidedBy: null,
        },
        'nonce-1',
        T0,
      );
      await db.claims.decideClaim('SN-SENTINEL', {
        state: 'refused',
        deviceId: null,
        reply: 'CLAIMREPLY-SENTINEL',
        at: T0 + 3,
        by: 'user:quality1',
      });
      await db.claims.quarantine('ghost-0001', 'ee', T0, '203.0.113.77');
      // A patient monitor's bed and ward place a patient.
      await db.store.addDevice(
        { ...sampleDevice('bed-0077'), profile: 'patient-vitals' },
        { deviceId: 'bed-0077', kid: 1, secretEnc: Buffer.from('k'), createdAt: T0, status: 'active' },
      );
      await db.deviceLabels.setLabels(
        'bed-0077',
        { bed: 'BED-SENTINEL-14', ward: 'WARD-SENTINEL-ONCOLOGY' },
        T0,
        'user:quality1',
      );
      await db.sinkOutbox.setTargets([{ name: 'influxdb', capacity: 100, devices: null }]);
      await db.store.writeBatch(
        sampleBatch({ readings: [sampleReading(dev, 901, 0, { data: { temp_c: 27.919 } })] }),
      );
      assert.equal((await db.sinkOutbox.depth('influxdb')).pending, 1);
      const dump = await s.exec('pg_dump', ['-d', 'postgres', '-n', db.schema]);
      assert.match(dump, /CREATE TABLE/, 'the dump has the schema');
      assert.match(dump, /truck-0077/, 'ids stay in clear');
      const secrets: [string, Buffer][] = [
        ['reading value', Buffer.from('13.377')],
        ['reading value', Buffer.from('61.23')],
        ['position', Buffer.from('52.3791')],
        ['batch id', Buffer.from(lot)],
        ['event body', Buffer.from('EVBODY-SENTINEL-77')],
        ['password hash', Buffer.from('SENTINELHASHVALUE')],
        ['TOTP seed', seed],
        ['device secret', secret],
        ['sealed device secret', sealedSecret],
        ['notification recipient', Buffer.from('quinn-sentinel@example.org')],
        ['contact address', Buffer.from('+31600SENTINEL')],
        ['push subscription keys', Buffer.from('P256DH-SENTINEL-KEY')],
        ['push subscription keys', Buffer.from('PUSHAUTH-SENTINEL')],
        ['command argument', Buffer.from('CMDARG-SENTINEL')],
        ['command reason', Buffer.from('CMDREASON-SENTINEL')],
        ['command error', Buffer.from('CMDERR-SENTINEL')],
        ['command result', Buffer.from('CMDRES-SENTINEL')],
        ['claim CSR', Buffer.from('CSR-SENTINEL-BASE64')],
        ['claim reply', Buffer.from('CLAIMREPLY-SENTINEL')],
        ['claim address', Buffer.from('198.51.100.77')],
        ['quarantine address', Buffer.from('203.0.113.77')],
        ['reading value queued for a sink', Buffer.from('27.919')],
        ['bed label', Buffer.from('BED-SENTINEL-14')],
        ['ward label', Buffer.from('WARD-SENTINEL-ONCOLOGY')],
      ];
      for (const [what, bytes] of secrets) {
        for (const form of [
          bytes.toString('latin1'),
          bytes.toString('hex'),
          bytes.toString('base64'),
          bytes.toString('base64url'),
        ]) {
          if (form.length < 6) continue;
          assert.ok(!dump.includes(form), `${what} appears in the dump`);
        }
      }
    } finally {
      await db.dispose();
    }
  });

  it('a value moved to another row, or altered, does not open', async () => {
    const db = await pg.fresh();
    const s = pg.server;
    assert.ok(s);
    try {
      await db.store.addDevice(sampleDevice('truck-0001'), {
        deviceId: 'truck-0001',
        kid: 1,
        secretEnc: Buffer.from('k'),
        createdAt: T0,
        status: 'active',
      });
      await db.store.writeBatch(
        sampleBatch({
          readings: [
            sampleReading('truck-0001', 1, 0, { data: { temp_c: 4 } }),
            sampleReading('truck-0001', 2, 0, { data: { temp_c: 30 } }),
          ],
        }),
      );
      // The operator swaps the two ciphertexts (a warm reading passed off as a cold one).
      await s.query(
        `WITH a AS (SELECT data FROM ${db.schema}.readings WHERE seq = 1), b AS (SELECT data FROM ${db.schema}.readings WHERE seq = 2)
         UPDATE ${db.schema}.readings r SET data = CASE WHEN r.seq = 1 THEN (SELECT data FROM b) ELSE (SELECT data FROM a) END`,
      );
      await assert.rejects(
        db.store.queryReadings({ deviceId: 'truck-0001' }),
        (e) =>
          isVigilError(e, 'VIGIL_ERR_STORE') &&
          /readings\.data: value does not open/.test(String(e)) &&
          !/30/.test(String(e)),
      );
      // A bed label copied onto another monitor does not open there either.
      for (const id of ['bed-0001', 'bed-0002']) {
        await db.store.addDevice(
          { ...sampleDevice(id), profile: 'patient-vitals' },
          { deviceId: id, kid: 1, secretEnc: Buffer.from('k'), createdAt: T0, status: 'active' },
        );
        await db.deviceLabels.setLabels(id, { bed: `Bed ${id}`, ward: null }, T0, 'cli');
      }
      await s.query(
        `UPDATE ${db.schema}.device_labels SET bed = (SELECT bed FROM ${db.schema}.device_labels WHERE device_id = 'bed-0001') WHERE device_id = 'bed-0002'`,
      );
      assert.equal((await db.deviceLabels.getLabels('bed-0001'))?.bed, 'Bed bed-0001');
      await assert.rejects(
        db.deviceLabels.getLabels('bed-0002'),
        (e) =>
          isVigilError(e, 'VIGIL_ERR_STORE') && /device_labels\.bed: value does not open/.test(String(e)),
      );
    } finally {
      await db.dispose();
    }
  });

  it('the data key opens only with the master key that created it', async () => {
    const key = master();
    const db = await pg.fresh({ master: key });
    const s = pg.server;
    assert.ok(s);
    try {
      await assert.rejects(
        openPostgresAdapters({ url: s.url(), master: master(), schema: db.schema, retryForMs: 0 }),
        (e) => isVigilError(e, 'VIGIL_ERR_MASTER_KEY'),
      );
      const again = await openPostgresAdapters({
        url: s.url(),
        master: key,
        schema: db.schema,
        retryForMs: 0,
      });
      await again.store.close();
    } finally {
      await db.dispose();
    }
  });
});
