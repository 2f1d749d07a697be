import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLoopbackTarget, isLoopbackHost } from './loopback.ts';

describe('loopback targets', () => {
  it('accepts 127.0.0.0/8, ::1, mapped IPv4 loopback and localhost', () => {
    for (const h of [
      '127.0.0.1',
      '127.9.8.7',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
      'localhost',
      'LOCALHOST',
    ]) {
      assert.equal(isLoopbackHost(h), true, h);
    }
  });

  it('refuses LAN, public and look-alike hosts', () => {
    for (const h of [
      '10.0.0.5',
      '192.0.2.10',
      '128.0.0.1',
      '::2',
      'localhost.example',
      '127.0.0.1.example',
      'vigil.example',
    ]) {
      assert.equal(isLoopbackHost(h), false, h);
      assert.throws(() => assertLoopbackTarget('http.host', h), /loopback targets only: http\.host is/);
    }
  });

  it('lets a wildcard listener through, since seclab then connects to 127.0.0.1', () => {
    for (const h of ['::', '0.0.0.0']) assert.doesNotThrow(() => assertLoopbackTarget('mqtt.host', h));
  });
});
