import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../atomic-file.ts';
import { VigilError } from '../errors.ts';
import { DEVICE_ID_RE } from '../protocol/device-id.ts';
import type { GatewayBundleMaterial } from './gateway-admin.ts';

const gatewayJson = z.strictObject({
  id: z.string().regex(DEVICE_ID_RE),
  upstream_url: z.string().regex(/^mqtts:\/\//),
  topic_prefix: z.string().min(1),
  devices: z.array(z.string().regex(DEVICE_ID_RE)),
});

export type GatewayInfo = z.infer<typeof gatewayJson>;

/** A gateway bundle as `vigil gateway --bundle DIR` reads it (docs/gateway.md). */
export interface GatewayBundle {
  dir: string;
  info: GatewayInfo;
  ca: string;
  cert: string;
  key: string;
  /** The CRL the bundle was made with ('' when none existed yet). */
  crl: string;
}

/** Writes the bundle: gateway.json, gateway.crt, gateway.key (0600), ca.crt, crl.pem. */
export function writeGatewayBundle(dir: string, m: GatewayBundleMaterial): void {
  const info: GatewayInfo = {
    id: m.gateway.id,
    upstream_url: m.upstreamUrl,
    topic_prefix: m.topicPrefix,
    devices: m.devices,
  };
  writeFileAtomic(join(dir, 'gateway.crt'), m.certPem);
  writeFileAtomic(join(dir, 'gateway.key'), m.keyPem, 0o600);
  writeFileAtomic(join(dir, 'ca.crt'), m.caPem);
  if (m.crlPem) writeFileAtomic(join(dir, 'crl.pem'), m.crlPem);
  writeFileAtomic(join(dir, 'gateway.json'), `${JSON.stringify(info, null, 2)}\n`);
}

/** Reads a bundle written by `vigil gateway add`. */
export function readGatewayBundle(dir: string): GatewayBundle {
  try {
    const info = gatewayJson.parse(JSON.parse(readFileSync(join(dir, 'gateway.json'), 'utf8')));
    const crlPath = join(dir, 'crl.pem');
    return {
      dir,
      info,
      ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      cert: readFileSync(join(dir, 'gateway.crt'), 'utf8'),
      key: readFileSync(join(dir, 'gateway.key'), 'utf8'),
      crl: existsSync(crlPath) ? readFileSync(crlPath, 'utf8') : '',
    };
  } catch (err) {
    throw new VigilError(
      'VIGIL_ERR_USAGE',
      `${dir} is not a valid gateway bundle: ${(err as Error).message.slice(0, 200)}`,
    );
  }
}
