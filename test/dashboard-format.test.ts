import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostPort } from '../web/src/format.ts';

describe('dashboard: listener addresses', () => {
  it('writes an IPv6 address in brackets, as in a URL (RFC 3986)', () => {
    assert.equal(hostPort('::', 8883), '[::]:8883');
    assert.equal(hostPort('::1', 8883), '[::1]:8883');
  });

  it('writes an IPv4 address or a name as it is, and ? for what is unknown', () => {
    assert.equal(hostPort('0.0.0.0', 8883), '0.0.0.0:8883');
    assert.equal(hostPort('broker.example', 8883), 'broker.example:8883');
    assert.equal(hostPort(null, null), '?:?');
  });
});
