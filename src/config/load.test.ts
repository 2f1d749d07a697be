import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { loadConfig } from './load.ts';
import { configSchema } from './schema.ts';

describe('config', () => {
  it('has the DESIGN.md defaults: 8883, 8443, vigil/v1', () => {
    const c = loadConfig({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-cfg-')), env: {} });
    assert.equal(c.mqtt.port, 8883);
    assert.equal(c.http.port, 8443);
    assert.equal(c.mqtt.topicPrefix, 'vigil/v1');
    assert.equal(c.ingest.replayWindow, 1024);
    assert.ok(Object.isFrozen(c.mqtt));
  });

  it('reports every problem with its dotted path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cfg-'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ mqtt: { port: 70000, topicPrefix: 'a/#' }, bogus: 1 }),
    );
    assert.throws(
      () => loadConfig({ dataDir: dir, env: {} }),
      (e) =>
        isVigilError(e, 'VIGIL_ERR_CONFIG') &&
        /mqtt\.port/.test(e.message) &&
        /mqtt\.topicPrefix/.test(e.message),
    );
  });

  it('takes mqtt.listenerWorkers from 0 to 16 (default 0) and refuses anything else by its path', () => {
    assert.equal(configSchema.parse({ dataDir: '/x' }).mqtt.listenerWorkers, 0);
    assert.equal(
      configSchema.parse({ dataDir: '/x', mqtt: { listenerWorkers: 16 } }).mqtt.listenerWorkers,
      16,
    );
    for (const bad of [-1, 17, 1.5, '2']) {
      const r = configSchema.safeParse({ dataDir: '/x', mqtt: { listenerWorkers: bad } });
      assert.equal(r.success, false, String(bad));
      assert.deepEqual(r.error?.issues[0]?.path, ['mqtt', 'listenerWorkers']);
    }
  });

  it('accepts sinks with a PostgreSQL store (its outbox is in the same database as the readings)', () => {
    const url = 'postgres://vigil@db.example/vigil';
    const webhook = [{ url: 'https://hooks.example/vigil', secret: 'a-webhook-secret-of-some-length' }];
    const both = configSchema.safeParse({ dataDir: '/x', storage: { url }, sinks: { webhook } });
    assert.ok(both.success, JSON.stringify(both.error?.issues));
    assert.equal(both.data?.sinks.webhook.length, 1);
  });

  it('lets flags override the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cfg-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ mqtt: { port: 9999 } }));
    const c = loadConfig({ dataDir: dir, env: {}, overrides: { mqtt: { port: 1883 } } });
    assert.equal(c.mqtt.port, 1883);
  });
});
