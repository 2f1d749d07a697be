/**
 * The dashboard files on the API port: a clear 503 before `npm run build:web`, then index.html
 * (never stored), hashed assets (cached a year), the client-side route fallback for browser
 * navigations only, the security headers throughout, and no way out of the build directory.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../src/api/security-headers.ts';
import { type ApiResponse, apiRequest } from './helpers/api-client.ts';
import { errCode } from './helpers/browser.ts';
import { type Instance, startInstance } from './helpers/instance.ts';

let inst: Instance;
let outside: string;
const webRoot = join(mkdtempSync(join(tmpdir(), 'vigil-web-')), 'dist');
const INDEX =
  '<!doctype html><title>Vigil</title><script type="module" src="/assets/app-3f9a1c.js"></script>';

function get(path: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return apiRequest(inst.httpUrl, inst.ctx.ca.certPem, { path, headers });
}

/** A GET with the path sent exactly as given (no URL normalisation by the client). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const url = new URL(inst.httpUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        ca: inst.ctx.ca.certPem,
        agent: false,
        headers: { accept: 'text/html' },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  inst = await startInstance({}, undefined, { webRoot });
  outside = mkdtempSync(join(tmpdir(), 'vigil-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'top secret');
});

after(async () => {
  await inst?.destroy();
  rmSync(join(webRoot, '..'), { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('dashboard files', () => {
  it('answers / with a plain 503 saying how to build the dashboard while web/dist is missing', async () => {
    const r = await get('/');
    assert.equal(r.status, 503);
    assert.match(String(r.headers['content-type']), /^text\/plain/);
    assert.match(r.text, /npm run build:web/);
    assert.doesNotMatch(r.text, /<script|<style/);
    assert.equal(r.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal((await get('/devices', { accept: 'text/html' })).status, 503);
    const api = await get('/no/such/thing');
    assert.equal(api.status, 404, 'non-browser clients get the JSON 404');
    assert.equal(errCode(api), 'VIGIL_ERR_NOT_FOUND');
  });

  it('serves index.html (no-store) and hashed assets (immutable) once built, under the same CSP', async () => {
    mkdirSync(join(webRoot, 'assets'), { recursive: true });
    writeFileSync(join(webRoot, 'index.html'), INDEX);
    writeFileSync(join(webRoot, 'assets', 'app-3f9a1c.js'), 'console.log("vigil");');
    writeFileSync(join(webRoot, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(webRoot, '.env'), 'HIDDEN=1');
    symlinkSync(join(outside, 'secret.txt'), join(webRoot, 'leak.txt'));

    const index = await get('/', { accept: 'text/html' });
    assert.equal(index.status, 200);
    assert.equal(index.text, INDEX);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    assert.equal(index.headers['cache-control'], 'no-store');
    assert.equal(index.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal(index.headers['x-frame-options'], 'DENY');

    const js = await get('/assets/app-3f9a1c.js');
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    const icon = await get('/favicon.svg');
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.equal(icon.headers['cache-control'], 'no-cache');
    assert.equal((await get('/index.html')).headers['cache-control'], 'no-store');
  });

  it('falls back to index.html for browser navigations to client routes, and only those', async () => {
    const nav = await get('/devices/truck-0101', { accept: 'text/html,application/xhtml+xml' });
    assert.equal(nav.status, 200);
    assert.equal(nav.text, INDEX);
    assert.equal(nav.headers['cache-control'], 'no-store');
    assert.equal((await get('/devices/truck-0101')).status, 404, 'no Accept: text/html');
    assert.equal((await get('/assets/missing-123.js', { accept: 'text/html' })).status, 404);
    const api = await get('/api/v1/nothing', { accept: 'text/html' });
    assert.equal(api.status, 404);
    assert.equal(errCode(api), 'VIGIL_ERR_NOT_FOUND');
  });

  it('never serves a file outside the build directory, a hidden file or a symlink out', async () => {
    for (const path of [
      '/../../../../etc/passwd',
      '/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/assets/%2e%2e%5c%2e%2e%5cindex.html',
      '/%00index.html',
      '/%E0%A4%A',
      '/.env',
      '/leak.txt',
    ]) {
      const r = await rawGet(path);
      assert.ok(
        !r.body.includes('root:') && !r.body.includes('top secret') && !r.body.includes('HIDDEN'),
        path,
      );
      assert.ok(
        r.status === 404 || (r.status === 200 && r.body === INDEX) || r.status === 400,
        `${path}: ${r.status}`,
      );
    }
    assert.equal((await rawGet('/leak.txt')).status, 404);
    assert.equal((await rawGet('/.env')).status, 404);
  });
});
