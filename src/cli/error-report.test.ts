import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VigilError } from '../errors.ts';
import { closest } from './did-you-mean.ts';
import { environmentError, reportError } from './error-report.ts';
import { ExitError } from './io.ts';

const sysError = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { code, ...extra });

describe('CLI error report', () => {
  it('tells environment errors (disk full, network, permissions) from bugs: exit 1, never "internal error"', () => {
    const cases: [unknown, RegExp][] = [
      [
        sysError('ENOSPC', 'ENOSPC: no space left on device, write'),
        /^no space left on the device \(ENOSPC\)$/,
      ],
      [
        sysError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1', { address: '127.0.0.1', port: 1 }),
        /^connection refused .*: 127\.0\.0\.1:1 \(ECONNREFUSED\)$/,
      ],
      [
        sysError('EACCES', "EACCES: permission denied, open '/x'", { path: '/x' }),
        /^permission denied: \/x \(EACCES\)$/,
      ],
      [
        sysError('SQLITE_FULL', 'database or disk is full'),
        /^the database is full: no space left .*\(SQLITE_FULL\)$/,
      ],
      [sysError('SQLITE_IOERR_WRITE', 'disk I/O error'), /input\/output error\) \(SQLITE_IOERR_WRITE\)$/],
      [
        sysError('EADDRINUSE', 'listen EADDRINUSE', { address: '::', port: 8883 }),
        /address already in use: :: ?:?8883/,
      ],
      // Wrapped: the cause chain and an AggregateError's errors are looked through.
      [
        new Error('connect failed', { cause: sysError('EHOSTUNREACH', 'x') }),
        /^host unreachable \(EHOSTUNREACH\)$/,
      ],
      [new AggregateError([sysError('ETIMEDOUT', 'x')], 'all failed'), /^timed out \(ETIMEDOUT\)$/],
      [
        sysError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
        /^TLS: /,
      ],
    ];
    for (const [err, want] of cases) {
      const r = reportError(err);
      assert.equal(r.exitCode, 1, String(err));
      assert.match(r.message, want);
      assert.doesNotMatch(r.message, /internal error/);
    }
    assert.equal(environmentError(new TypeError('x is not a function')), null);
  });

  it('an unexpected exception is a bug: exit 70 with its stack', () => {
    const r = reportError(new TypeError('x is not a function'));
    assert.equal(r.exitCode, 70);
    assert.match(r.message, /^internal error \(a bug\): TypeError: x is not a function\n\s+at /);
  });

  it('names the thing not found, and prints a usage error without its own "usage:" block', () => {
    assert.equal(
      reportError(new VigilError('VIGIL_ERR_NOT_FOUND', 'shipment shp-nope')).message,
      'shipment shp-nope not found [VIGIL_ERR_NOT_FOUND]',
    );
    const u = reportError(new VigilError('VIGIL_ERR_USAGE', 'usage: vigil shipment show ID [--json]'));
    assert.deepEqual(u, { message: 'missing or unexpected arguments', exitCode: 2, usage: true });
    const v = reportError(
      new VigilError('VIGIL_ERR_USAGE', '--state must be one of a, b\nusage:\n  vigil x'),
    );
    assert.equal(v.message, '--state must be one of a, b');
    assert.equal(reportError(new VigilError('VIGIL_ERR_DEVICE_ID', 'bad')).exitCode, 2);
    assert.equal(reportError(new ExitError('declined', 1)).exitCode, 1);
  });

  it('suggests the flag, command or value that was probably meant, and nothing far off', () => {
    assert.equal(closest('jsno', ['json', 'limit', 'since']), 'json');
    assert.equal(closest('stat', ['state', 'subject']), 'state');
    assert.equal(closest('devise', ['device', 'readings']), 'device');
    assert.equal(closest('lst', ['list', 'show']), 'list');
    assert.equal(closest('follw', ['follow', 'json']), 'follow');
    assert.equal(closest('zzz', ['json', 'limit']), undefined);
    assert.equal(closest('x', ['json']), undefined);
  });
});
