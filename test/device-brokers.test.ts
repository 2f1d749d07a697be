/**
 * The ordered broker list (docs/protocol.md §8): `mqtt.advertisedBrokers` goes into every new
 * device bundle (`brokers` in device.json, `VIGIL_BROKERS` in vigil_device_config.h), and the
 * server certificate carries every advertised name, so a device that fails over can check it.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openContext } from '../src/data-dir/context.ts';
import { addDevice } from '../src/devices/device-service.ts';
import { MASTER_KEY_HEX } from './helpers/instance.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-brokers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('advertised brokers', () => {
  it('are written into the bundle in order and every name is in the server certificate', async () => {
    const brokers = [
      'mqtts://vigil-a.example.org:8883',
      'mqtts://vigil-b.example.org:8884',
      'mqtts://10.20.30.40:8883',
    ];
    const ctx = await openContext({
      dataDir: join(dir, 'node'),
      env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX },
      logLevel: 'silent',
      create: true,
      createAdmin: false,
      overrides: { mqtt: { advertisedBrokers: brokers } },
    });
    try {
      const b = await addDevice(ctx, {
        id: 'truck-0042',
        profile: 'vaccine-transport',
        outDir: join(dir, 'bundle'),
        actor: 'test',
      });
      const info = JSON.parse(readFileSync(join(b.dir, 'device.json'), 'utf8'));
      assert.deepEqual(info.brokers, brokers);
      assert.equal(info.broker_url, brokers[0]);
      const header = readFileSync(join(b.dir, 'vigil_device_config.h'), 'utf8');
      assert.match(header, /#define VIGIL_BROKER_COUNT\s+3/);
      assert.match(
        header,
        /\{ "vigil-a\.example\.org", 8883 \},\n\s+\{ "vigil-b\.example\.org", 8884 \},\n\s+\{ "10\.20\.30\.40", 8883 \},/,
      );
      const san = new X509Certificate(readFileSync(ctx.paths.serverCert, 'utf8')).subjectAltName ?? '';
      for (const name of [
        'DNS:vigil-a.example.org',
        'DNS:vigil-b.example.org',
        'IP Address:10.20.30.40',
        'DNS:localhost',
      ]) {
        assert.ok(san.includes(name), `${name} missing from ${san}`);
      }
    } finally {
      await ctx.close();
    }
  });

  it('refuses a broker that is not mqtts://host:port, with the setting named', async () => {
    await assert.rejects(
      openContext({
        dataDir: join(dir, 'bad'),
        env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX },
        logLevel: 'silent',
        create: true,
        createAdmin: false,
        overrides: { mqtt: { advertisedBrokers: ['mqtt://plain.example.org:1883'] } },
      }),
      /mqtt\.advertisedBrokers\.0: must be mqtts:\/\/host:port/,
    );
  });
});
