import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_BROKER_LIMITS } from '../broker/broker-limits.ts';
import { DEFAULT_MAX_PACKET_BYTES } from '../broker/packet-guard.ts';
import { CONFIG_DEFAULTS } from './schema.ts';

/** Leaf settings of the defaults as dotted keys (`mqtt.port` -> 8883). */
function leaves(o: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v))
      for (const [kk, vv] of leaves(v, key)) out.set(kk, vv);
    else out.set(key, v);
  }
  return out;
}

/** The README's configuration table: `| \`a\`, \`b\` | \`1\`, \`2\` | meaning |` -> a=1, b=2. */
function readmeDefaults(): Map<string, string> {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Architecture'));
  const out = new Map<string, string>();
  for (const line of table.split('\n')) {
    const cells = line.split(' | ');
    if (cells.length < 3 || !line.startsWith('| `')) continue;
    const keys = [...(cells[0] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    const values = [...(cells[1] ?? '').matchAll(/`([^`]*)`/g)].map((m) => m[1] as string);
    for (const [i, k] of keys.entries()) out.set(k, values[Math.min(i, values.length - 1)] ?? 'unset');
  }
  return out;
}

describe('configuration defaults', () => {
  it('are documented in the README table with the schema value, each setting', () => {
    const documented = readmeDefaults();
    // externalGroup is `mqtt.external.group`, a default inside an optional object.
    const { externalGroup, ...rest } = CONFIG_DEFAULTS;
    const all = leaves(rest);
    all.set('mqtt.external.group', externalGroup);
    for (const [key, value] of all) {
      assert.ok(documented.has(key), `${key} is missing from the README configuration table`);
      const shown = Array.isArray(value) ? JSON.stringify(value) : String(value);
      assert.equal(documented.get(key), shown, `README default of ${key}`);
    }
  });

  it('are the ones the components fall back to (no second copy of a default)', () => {
    const m = CONFIG_DEFAULTS.mqtt;
    assert.deepEqual(DEFAULT_BROKER_LIMITS, {
      maxPacketBytes: m.maxPacketBytes,
      connectTimeoutMs: m.connectTimeoutMs,
      keepAliveMaxS: m.keepAliveMaxS,
      publishRatePerSec: m.publishRatePerSec,
      publishBurst: m.publishBurst,
      connectRatePerMinute: m.connectRatePerMinute,
      maxConnectionsPerAddress: m.maxConnectionsPerAddress,
      maxConnections: m.maxConnections,
    });
    assert.equal(DEFAULT_MAX_PACKET_BYTES, m.maxPacketBytes);
  });

  it('cannot be changed at run time', () => {
    assert.throws(() => {
      (CONFIG_DEFAULTS.mqtt as { port: number }).port = 1;
    }, TypeError);
  });
});
