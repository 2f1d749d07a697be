/**
 * The HTTPS API's outer shell over a real TLS socket on loopback: security headers on every
 * response, JSON errors without internals, body limits, schema validation without echo, the CSRF
 * Origin check, authentication, and TLS >= 1.2 on the API port.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { CONTENT_SECURITY_POLICY } from '../src/api/security-headers.ts';
import { type ApiResponse, apiRequest } from './helpers/api-client.ts';
import { fakeAuthenticator, sessionOf, tokenOf } from './helpers/fake-authenticator.ts';
import { type Instance, startInstance } from './helpers/instance.ts';

let inst: Instance;
let origin: string;

function call(
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<ApiResponse> {
  return apiRequest(inst.httpUrl, inst.ctx.ca.certPem, { path, ...o });
}

function assertSecurityHeaders(r: ApiResponse): void {
  assert.equal(r.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  assert.match(String(r.headers['content-security-policy']), /script-src 'self'/);
  assert.doesNotMatch(String(r.headers['content-security-policy']), /unsafe-inline/);
  assert.equal(r.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  assert.equal(r.headers['x-frame-options'], 'DENY');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.equal(r.headers['referrer-policy'], 'no-referrer');
  assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
  assert.ok(r.headers['permissions-policy']);
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.equal(r.headers['x-powered-by'], undefined);
}

function assertError(r: ApiResponse, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const body = r.json as { error: { code: string; message: string } };
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.doesNotMatch(r.text, /stack|at .*\.ts|FST_ERR|node_modules/);
}

before(async () => {
  inst = await startInstance({}, undefined, { authenticator: fakeAuthenticator });
  await inst.addDevice('truck-0101');
  origin = inst.httpUrl;
});

after(async () => {
  await inst.destroy();
});

describe('API security shell', () => {
  it('answers /healthz without authentication, with only {status:"ok"} and every security header', async () => {
    const r = await call('/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'ok' });
    assertSecurityHeaders(r);
  });

  it('puts the security headers on API responses, refusals and 404s alike', async () => {
    const ok = await call('/api/v1/devices', { headers: sessionOf('viewer') });
    assert.equal(ok.status, 200);
    assertSecurityHeaders(ok);
    assertSecurityHeaders(await call('/api/v1/devices'));
    assertSecurityHeaders(await call('/no/such/route'));
  });

  it('answers an unknown route with 404 JSON', async () => {
    assertError(await call('/no/such/route'), 404, 'VIGIL_ERR_NOT_FOUND');
    assertError(
      await call('/api/v1/nothing-here', { headers: sessionOf('admin') }),
      404,
      'VIGIL_ERR_NOT_FOUND',
    );
  });

  it('refuses a guarded route without a principal with 401', async () => {
    assertError(await call('/api/v1/devices'), 401, 'VIGIL_ERR_AUTH');
    assertError(
      await call('/api/v1/system', { headers: { cookie: 'fake=nobody.1' } }),
      401,
      'VIGIL_ERR_AUTH',
    );
    assertError(await call('/api/v1/openapi.json'), 401, 'VIGIL_ERR_AUTH');
  });

  it('refuses a body over 64 KiB with 413', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(70 * 1024) });
    const r = await call('/api/v1/devices/truck-0101/disable', {
      method: 'POST',
      headers: { ...sessionOf('operator'), origin, 'content-type': 'application/json' },
      body: big,
    });
    assertError(r, 413, 'VIGIL_ERR_BODY_TOO_LARGE');
    assertSecurityHeaders(r);
  });

  it('refuses malformed JSON with 400', async () => {
    const r = await call('/api/v1/devices/truck-0101/enable', {
      method: 'POST',
      headers: { ...sessionOf('operator'), origin, 'content-type': 'application/json' },
      body: '{"reason": "oops",',
    });
    assertError(r, 400, 'VIGIL_ERR_MALFORMED_BODY');
  });

  it('refuses a schema violation with 400 VIGIL_ERR_VALIDATION, naming the field but not echoing the value', async () => {
    const evil = '<script>alert(1)</script>';
    const r = await call(`/api/v1/devices/truck-0101/readings?maxPoints=${encodeURIComponent(evil)}`, {
      headers: sessionOf('viewer'),
    });
    assertError(r, 400, 'VIGIL_ERR_VALIDATION');
    assert.equal((r.json as { error: { path: string } }).error.path, 'query.maxPoints');
    assert.ok(!r.text.includes('script'), r.text);

    const badId = await call(`/api/v1/devices/${encodeURIComponent('ÄÄ<b>x')}`, {
      headers: sessionOf('viewer'),
    });
    assertError(badId, 400, 'VIGIL_ERR_VALIDATION');
    assert.equal((badId.json as { error: { path: string } }).error.path, 'params.id');
    assert.ok(!badId.text.includes('<b>'));

    const unknown = await call('/api/v1/audit?secret=hunter2', { headers: sessionOf('auditor') });
    assertError(unknown, 400, 'VIGIL_ERR_VALIDATION');
    assert.ok(!unknown.text.includes('hunter2'));
  });

  it('refuses a state-changing request without an Origin, or from a foreign one, with 403 CSRF', async () => {
    const path = '/api/v1/devices/truck-0101/enable';
    assertError(await call(path, { method: 'POST', headers: sessionOf('operator') }), 403, 'VIGIL_ERR_CSRF');
    for (const bad of [
      'https://evil.example',
      'null',
      `http://${new URL(origin).host}`,
      `${origin}.evil.example`,
    ]) {
      const r = await call(path, { method: 'POST', headers: { ...sessionOf('operator'), origin: bad } });
      assertError(r, 403, 'VIGIL_ERR_CSRF');
    }
    // Even unauthenticated: the check comes first and says nothing about the route.
    assertError(
      await call(path, { method: 'POST', headers: { origin: 'https://evil.example' } }),
      403,
      'VIGIL_ERR_CSRF',
    );
  });

  it('lets a same-origin state-changing request through, and exempts bearer tokens', async () => {
    const path = '/api/v1/devices/truck-0101/enable';
    const same = await call(path, { method: 'POST', headers: { ...sessionOf('operator'), origin } });
    assert.equal(same.status, 200, same.text);
    const token = await call(path, { method: 'POST', headers: tokenOf('operator') });
    assert.equal(token.status, 200, token.text);
  });

  it('does not apply the Origin check to reads', async () => {
    const r = await call('/api/v1/devices', {
      headers: { ...sessionOf('viewer'), origin: 'https://evil.example' },
    });
    assert.equal(r.status, 200);
  });

  it('refuses TLS 1.1 on the API port', async () => {
    const port = inst.server.httpPort;
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        ca: inst.ctx.ca.certPem,
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        // OpenSSL 3 forbids TLS < 1.2 at its default security level; lower it on the client only,
        // so that the refusal measured is the server's.
        ciphers: 'DEFAULT:@SECLEVEL=0',
      });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (err) => resolve(`error: ${err.message}`));
    });
    // Alert 70, protocol_version (RFC 5246 §7.2.2), sent by the server: not a client-side failure.
    assert.match(outcome, /^error: .*alert protocol version/);
  });

  it('accepts TLS 1.2 and TLS 1.3', async () => {
    for (const v of ['TLSv1.2', 'TLSv1.3'] as const) {
      const proto = await new Promise<string | null>((resolve, reject) => {
        const socket = connect({
          host: '127.0.0.1',
          port: inst.server.httpPort,
          ca: inst.ctx.ca.certPem,
          minVersion: v,
          maxVersion: v,
        });
        socket.once('secureConnect', () => {
          const p = socket.getProtocol();
          socket.destroy();
          resolve(p);
        });
        socket.once('error', reject);
      });
      assert.equal(proto, v);
    }
  });
});
