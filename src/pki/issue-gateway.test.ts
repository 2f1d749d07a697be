import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { createCa } from './ca.ts';
import { GATEWAY_UNIT, issueGatewayCert, VIGIL_GATEWAY_EKU } from './issue-gateway.ts';
import type { CreatedCa } from './types.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

describe('issueGatewayCert', () => {
  let ca: CreatedCa;
  before(async () => {
    ca = await createCa({ now: NOW });
  });

  it('names the gateway in the CN and marks it with the gateway EKU, for both its upstream and its site listener', async () => {
    const g = await issueGatewayCert({
      ca,
      gatewayId: 'site-gw',
      hostNames: ['gw.depot.example'],
      ips: ['10.0.0.7'],
      now: NOW,
    });
    const cert = new X509Certificate(g.certPem);
    assert.equal(cert.checkIssued(new X509Certificate(ca.certPem)), true);
    assert.equal(cert.verify(new X509Certificate(ca.certPem).publicKey), true);
    assert.match(cert.subject, /^CN=site-gw$/m);
    assert.match(cert.subject, new RegExp(`^OU=${GATEWAY_UNIT}$`, 'm'));
    assert.equal(cert.ca, false);
    // Node reads the extended key usages as OpenSSL decodes them (the JS ASN.1 reader shows an
    // arc above 2^53 in hex).
    assert.deepEqual([...(cert.keyUsage ?? [])].sort(), [CLIENT_AUTH, SERVER_AUTH, VIGIL_GATEWAY_EKU].sort());
    const san = cert.subjectAltName ?? '';
    for (const n of ['DNS:localhost', 'DNS:gw.depot.example', 'IP Address:127.0.0.1', 'IP Address:10.0.0.7'])
      assert.ok(san.includes(n), `${n} in ${san}`);
    assert.ok(g.keyPkcs8Pem?.includes('BEGIN PRIVATE KEY'));
  });

  it('refuses a gateway id that is not a valid identity name', async () => {
    for (const bad of ['Site GW', 'gw/1', '', 'a'.repeat(65)])
      await assert.rejects(issueGatewayCert({ ca, gatewayId: bad, now: NOW }), bad);
  });
});
