import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../config/schema.ts';
import { CONTENT_SECURITY_POLICY, contentSecurityPolicy } from './security-headers.ts';

describe('content security policy and dashboard.tiles.url', () => {
  it('names no other origin without a tile server', () => {
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /https?:/);
    assert.match(CONTENT_SECURITY_POLICY, /(^|; )img-src 'self' data:(;|$)/);
  });

  it('allows images, and only images, from the tile origin', () => {
    const csp = contentSecurityPolicy('https://tile.example.org');
    assert.match(csp, /(^|; )img-src 'self' data: https:\/\/tile\.example\.org(;|$)/);
    assert.equal(csp.split('tile.example.org').length, 2);
  });

  it('refuses a tile URL that is not https, has no {z}/{x}/{y}, or could inject a CSP source', () => {
    const parse = (url: string) =>
      configSchema.safeParse({ dataDir: '.', dashboard: { tiles: { url } } }).success;
    assert.equal(parse('https://tile.openstreetmap.org/{z}/{x}/{y}.png'), true);
    assert.equal(parse('http://tile.openstreetmap.org/{z}/{x}/{y}.png'), false);
    assert.equal(parse('https://tile.openstreetmap.org/{z}/{x}.png'), false);
    assert.equal(parse("https://a.org;script-src 'unsafe-inline'/{z}/{x}/{y}"), false);
    assert.equal(parse('https://a.org *.evil/{z}/{x}/{y}'), false);
    assert.equal(configSchema.parse({ dataDir: '.' }).dashboard.tiles.url, undefined);
  });
});
