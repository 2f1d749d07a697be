import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyTlsFailure } from './tls-failure.ts';

describe('classifyTlsFailure', () => {
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  const table: [string, unknown, string | undefined, string][] = [
    ['an expired certificate', reset, 'CERT_HAS_EXPIRED', 'cert_expired'],
    ['a certificate not yet valid', reset, 'CERT_NOT_YET_VALID', 'cert_expired'],
    ['a revoked certificate', reset, 'CERT_REVOKED', 'cert_revoked'],
    ['a certificate of another CA', reset, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unknown_ca'],
    ['a self-signed certificate', reset, 'DEPTH_ZERO_SELF_SIGNED_CERT', 'unknown_ca'],
    ['an expired CRL', reset, 'CRL_HAS_EXPIRED', 'tls_other'],
    [
      'a missing client certificate',
      { code: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE' },
      undefined,
      'no_client_cert',
    ],
    ['TLS 1.1', { code: 'ERR_SSL_UNSUPPORTED_PROTOCOL' }, undefined, 'tls_protocol'],
    ['plain MQTT on the TLS port', { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }, undefined, 'tls_protocol'],
    ['a handshake timeout', { code: 'ERR_TLS_HANDSHAKE_TIMEOUT' }, undefined, 'tls_other'],
    ['a bare reset', reset, undefined, 'tls_other'],
    ['a non-error', 'weird', undefined, 'tls_other'],
  ];
  for (const [name, err, verify, reason] of table) {
    it(`classifies ${name} as ${reason}`, () => assert.equal(classifyTlsFailure(err, verify).reason, reason));
  }
  it('keeps the raw codes for the audit', () => {
    assert.deepEqual(classifyTlsFailure(reset, 'CERT_REVOKED'), {
      reason: 'cert_revoked',
      errorCode: 'ECONNRESET',
      verifyError: 'CERT_REVOKED',
    });
  });
});
