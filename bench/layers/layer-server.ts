/**
 * The lab-only baseline servers of the layer evaluation, in a process of their own so that its CPU
 * and memory are measured alone: a bare Aedes over plain TCP (Vigil itself never opens a plain
 * port), over TLS with server authentication, over mutual TLS, and over mutual TLS with the
 * receiver's checks in Aedes' authorizePublish: envelope schema, device key, HMAC (constant time),
 * clock, replay window and, for the AEAD rows, decryption and the body schema. PUBACK follows the
 * checks, so their cost is in the round trip. Usage: `node layer-server.ts CONFIG.json`; prints
 * `{"port":N}` once listening; stops on SIGTERM. Listens on 127.0.0.1 only.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import { ReplayGuard } from '../../src/ingest/replay-guard.ts';
import { TLS_SERVER_OPTIONS } from '../../src/pki/tls-policy.ts';
import { parseTelemetryBody } from '../../src/protocol/bodies.ts';
import {
  envelopeNonce,
  openEnvelope,
  parseEnvelope,
  verifyEnvelopeMac,
} from '../../src/protocol/envelope.ts';
import { type DeviceKeys, deriveDeviceKeys } from '../../src/protocol/keys.ts';
import { ReplayWindow } from '../../src/protocol/replay-window.ts';

export interface LayerServerConfig {
  transport: 'tcp' | 'tls' | 'mtls';
  /** hmac: schema, key, MAC, clock, replay window. aead: also decryption and the body schema. */
  verify: 'none' | 'hmac' | 'aead';
  tls: { cert: string; key: string; ca: string };
  devices: { id: string; secret: string; kid: number }[];
}

const cfg = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LayerServerConfig;
const keys = new Map<string, { kid: number; keys: DeviceKeys }>(
  cfg.devices.map((d) => [
    d.id,
    { kid: d.kid, keys: deriveDeviceKeys(Buffer.from(d.secret, 'base64url'), d.id) },
  ]),
);
const windows = new Map<string, ReplayWindow>();
const MAX_SKEW_MS = 300_000;

/** The receiver's order of docs/protocol.md §6.2, steps 2 to 9 (the topic is the device's own). */
function verify(topic: string, payload: Buffer): string | null {
  const env = parseEnvelope(payload);
  if (!topic.endsWith(`/${env.dev}/telemetry`)) return 'topic';
  const k = keys.get(env.dev);
  if (!k || k.kid !== env.kid) return 'unknown_kid';
  if (!verifyEnvelopeMac(env, 'telemetry', k.keys.mac)) return 'mac_invalid';
  if (env.ts > Date.now() + MAX_SKEW_MS) return 'ts_future';
  let w = windows.get(env.dev);
  if (!w) {
    w = new ReplayWindow(1024);
    windows.set(env.dev, w);
  }
  const fp = ReplayGuard.fingerprint(envelopeNonce(env));
  const why = w.check(env.seq, fp);
  if (why) return why;
  w.accept(env.seq, fp);
  if (cfg.verify === 'aead')
    parseTelemetryBody('vaccine-transport', openEnvelope(env, 'telemetry', k.keys.enc));
  return null;
}

let rejected = 0;
const aedes = new Aedes({
  maxClientsIdLength: 64,
  ...(cfg.verify === 'none'
    ? {}
    : {
        authorizePublish: (_client, packet, cb) => {
          if (packet.topic.endsWith('/state')) return cb(null);
          let why: string | null;
          try {
            why = verify(packet.topic, packet.payload as Buffer);
          } catch {
            why = 'schema';
          }
          // Like Vigil: a refused envelope is acknowledged and dropped (counted here).
          if (why) rejected++;
          cb(null);
        },
      }),
});
await aedes.listen();

const handler = (socket: net.Socket) => {
  socket.on('error', () => {});
  aedes.handle(socket);
};
const server =
  cfg.transport === 'tcp'
    ? net.createServer({ noDelay: true }, handler)
    : tls.createServer(
        {
          cert: cfg.tls.cert,
          key: cfg.tls.key,
          ca: cfg.tls.ca,
          ...(cfg.transport === 'mtls' ? { requestCert: true, rejectUnauthorized: true } : {}),
          ...TLS_SERVER_OPTIONS,
          noDelay: true,
        },
        handler,
      );
server.on('tlsClientError', () => {});
server.listen({ host: '127.0.0.1', port: 0 }, () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as net.AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => {
  process.stderr.write(`${JSON.stringify({ rejected })}\n`);
  server.close();
  aedes.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
