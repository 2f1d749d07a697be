import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { MasterKey } from '../keys/master-key.ts';
import { createCa } from './ca.ts';
import { issueClientCert } from './issue-client.ts';
import { openCa, sealCa } from './sealed-ca.ts';

describe('sealCa / openCa', () => {
  it('round-trips the CA key under the master key and the opened CA still issues', async () => {
    const master = new MasterKey(randomBytes(32));
    const ca = await createCa({ now: new Date() });
    const sealed = sealCa(master, ca);
    assert.equal(sealed.keyEnc.includes(Buffer.from('PRIVATE KEY')), false);
    const opened = openCa(master, sealed);
    assert.equal(opened.keyPkcs8Pem, ca.keyPkcs8Pem);
    const dev = await issueClientCert({
      ca: opened,
      commonName: 'truck-0042',
      kind: 'device',
      now: new Date(),
    });
    assert.ok(dev.certPem);
  });

  it('refuses to open with another master key', async () => {
    const ca = await createCa({ now: new Date() });
    const sealed = sealCa(new MasterKey(randomBytes(32)), ca);
    assert.throws(
      () => openCa(new MasterKey(randomBytes(32)), sealed),
      (err) => isVigilError(err, 'VIGIL_ERR_MASTER_KEY'),
    );
  });
});
