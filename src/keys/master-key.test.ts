import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { sealV1 } from './master-key.fixture.ts';
import {
  deviceSecretIdentity,
  MasterKey,
  notifyCredentialIdentity,
  totpSecretIdentity,
} from './master-key.ts';

const raw = randomBytes(32);
const master = new MasterKey(raw);
const refused = (e: unknown) => isVigilError(e, 'VIGIL_ERR_MASTER_KEY');

describe('sealed blobs', () => {
  const secret = randomBytes(32);

  it('open only for the row they were sealed for: device and key generation', () => {
    const blob = master.seal('device-secret', secret, deviceSecretIdentity('truck-0001', 1));
    assert.deepEqual(master.open('device-secret', blob, deviceSecretIdentity('truck-0001', 1)), secret);
    assert.throws(() => master.open('device-secret', blob, deviceSecretIdentity('truck-0002', 1)), refused);
    assert.throws(() => master.open('device-secret', blob, deviceSecretIdentity('truck-0001', 2)), refused);
  });

  it('open only for the user they were sealed for, and only for their purpose', () => {
    const blob = master.seal('totp-secret', secret, totpSecretIdentity('mallory'));
    assert.throws(() => master.open('totp-secret', blob, totpSecretIdentity('admin')), refused);
    assert.throws(() => master.open('device-secret', blob, totpSecretIdentity('mallory')), refused);
    assert.deepEqual(master.open('totp-secret', blob, totpSecretIdentity('mallory')), secret);
  });

  it('open only for the notification credential row they were sealed for (channel or webhook contact)', () => {
    const blob = master.seal('notify-credential', secret, notifyCredentialIdentity('webhook:ops'));
    assert.deepEqual(master.open('notify-credential', blob, notifyCredentialIdentity('webhook:ops')), secret);
    assert.throws(
      () => master.open('notify-credential', blob, notifyCredentialIdentity('webhook:mallory')),
      refused,
    );
    assert.throws(
      () => master.open('notify-credential', blob, notifyCredentialIdentity('email.password')),
      refused,
    );
    assert.throws(
      () =>
        master.open(
          'notify-credential',
          sealV1(raw, 'notify-credential', secret),
          notifyCredentialIdentity('sms.token'),
        ),
      refused,
      'never sealed with the purpose-only format: refused like the other row purposes',
    );
  });

  it('refuse a row blob of the old purpose-only format; reseal converts it to its row', () => {
    const old = sealV1(raw, 'totp-secret', secret);
    assert.throws(() => master.open('totp-secret', old, totpSecretIdentity('alice')), refused);
    const converted = master.reseal('totp-secret', old, totpSecretIdentity('alice'));
    assert.equal(converted[0], 2);
    assert.deepEqual(master.open('totp-secret', converted, totpSecretIdentity('alice')), secret);
    // resealing a current blob for another row is refused, not silently re-bound
    assert.throws(() => master.reseal('totp-secret', converted, totpSecretIdentity('bob')), refused);
  });

  it('still open a file blob of the old format (one file per purpose: nothing to swap with)', () => {
    const old = sealV1(raw, 'ca-key', Buffer.from('pem'));
    assert.equal(master.open('ca-key', old, 'vigil-root-ca').toString(), 'pem');
  });
});
