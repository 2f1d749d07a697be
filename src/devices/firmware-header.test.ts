import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { firmwareHeader } from './firmware-header.ts';

const cc = spawnSync('cc', ['--version']).status === 0 ? 'cc' : null;
const dir = mkdtempSync(join(tmpdir(), 'vigil-header-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ed25519 = () => {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  return { text: `ed25519:${jwk.x}`, raw: Buffer.from(jwk.x as string, 'base64url') };
};

function header(keys: string[]): string {
  return firmwareHeader({
    id: 'probe-hdr-0001',
    profile: 'temperature-probe',
    kid: 1,
    secret: Buffer.alloc(32, 1).toString('base64url'),
    alg: 'A256GCM',
    broker_url: 'mqtts://vigil.example:8883',
    brokers: ['mqtts://vigil.example:8883'],
    topic_prefix: 'vigil/v1',
    firmware_keys: keys,
    caPem: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n',
    certPem: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n',
    keyPem: '-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n',
  });
}

/** Compiles `main` against the header, strict C99, warnings as errors, and runs it: its output. */
function runC(name: string, h: string, main: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  writeFileSync(join(d, 'vigil_device_config.h'), h);
  writeFileSync(join(d, 'main.c'), `#include <stdio.h>\n#include "vigil_device_config.h"\n${main}\n`);
  execFileSync(cc as string, [
    '-std=c99',
    '-Wall',
    '-Wextra',
    '-Wpedantic',
    '-Werror',
    '-o',
    join(d, 'a.out'),
    join(d, 'main.c'),
  ]);
  return execFileSync(join(d, 'a.out'), { encoding: 'utf8' });
}

describe('vigil_device_config.h', () => {
  it('carries the trusted firmware keys as raw Ed25519 keys that C reads back byte for byte', {
    skip: !cc && 'no C compiler',
  }, () => {
    const keys = [ed25519(), ed25519()];
    const out = runC(
      'two',
      header(keys.map((k) => k.text)),
      `int main(void) {
  printf("%d\\n", VIGIL_FIRMWARE_KEY_COUNT);
  for (int i = 0; i < VIGIL_FIRMWARE_KEY_COUNT; i++) {
    for (int j = 0; j < 32; j++) printf("%02x", VIGIL_FIRMWARE_KEYS[i][j]);
    printf("\\n");
  }
  return VIGIL_DEVICE_SECRET[0] == 1 && VIGIL_CA_PEM[0] == '-' && VIGIL_DEVICE_CERT_PEM[0] == '-' &&
    VIGIL_DEVICE_KEY_PEM[0] == '-' && VIGIL_BROKERS[0].port == 8883 ? 0 : 1;
}`,
    );
    assert.deepEqual(out.trim().split('\n'), ['2', ...keys.map((k) => k.raw.toString('hex'))]);
  });

  it('compiles with no trusted key, and says so with a count of 0', { skip: !cc && 'no C compiler' }, () => {
    const out = runC(
      'none',
      header([]),
      `int main(void) {
  printf("%d %u\\n", VIGIL_FIRMWARE_KEY_COUNT, (unsigned)sizeof VIGIL_FIRMWARE_KEYS[0]);
  return VIGIL_DEVICE_SECRET[0] == 1 && VIGIL_CA_PEM[0] && VIGIL_DEVICE_CERT_PEM[0] && VIGIL_DEVICE_KEY_PEM[0] &&
    VIGIL_BROKERS[0].port && VIGIL_FIRMWARE_KEYS[0][0] == 0 ? 0 : 1;
}`,
    );
    assert.equal(out.trim(), '0 32');
  });
});
