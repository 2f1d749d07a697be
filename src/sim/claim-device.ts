import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { toPem } from '../pki/pem.ts';
import { EC_P256, ECDSA_SHA256, subtle, type WebCryptoKeyPair, x509 } from '../pki/x509.ts';
import type { DeviceProfile } from '../protocol/device-profile.ts';
import { p256PublicKeyFromPoint, rotatedSecretFor } from '../protocol/rotation.ts';
import { type DeviceBundleFiles, readDeviceBundle } from './device-bundle.ts';

/** What a factory flashes: the batch's shared claim certificate, and the device's own serial. */
export interface ClaimDeviceOptions {
  brokerUrl: string;
  topicPrefix?: string;
  batch: string;
  serial: string;
  profile: DeviceProfile;
  ca: string;
  claimCert: string;
  claimKey: string;
  /** Where the device keeps its new identity (the bundle it writes once approved). */
  dir: string;
  /** How often the claim is sent again until decided. Default 2 s (a device in the field: 30 s). */
  retryMs?: number;
}

function writeAtomic(path: string, data: string, mode: number): void {
  writeFileSync(`${path}.tmp`, data, { mode });
  renameSync(`${path}.tmp`, path);
}

/**
 * The device side of claim-based provisioning (docs/protocol.md §14): connects with the shared
 * claim certificate as its serial, makes its own P-256 key, sends the claim (serial, profile,
 * CSR, fresh nonce) until it gets a decision, and once approved derives its kid-1 secret by ECDH
 * and writes its own bundle, so it can reconnect under its own identity.
 */
export class ClaimDevice {
  readonly #o: ClaimDeviceOptions;
  #key: string | undefined;
  #csr: string | undefined;
  /** Every claim payload sent (a test can replay one). */
  readonly sent: string[] = [];
  /** Replies seen, by status. */
  readonly replies: string[] = [];

  constructor(o: ClaimDeviceOptions) {
    this.#o = o;
  }

  /** Sends the claim until approved (resolves with the new bundle) or refused (rejects). */
  async provision(timeoutMs = 30_000): Promise<DeviceBundleFiles> {
    const o = this.#o;
    const prefix = o.topicPrefix ?? 'vigil/v1';
    if (!this.#csr) {
      const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as WebCryptoKeyPair;
      const csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: `CN=${o.serial}`,
        keys,
        signingAlgorithm: ECDSA_SHA256,
      });
      this.#csr = Buffer.from(csr.rawData).toString('base64url');
      this.#key = toPem(Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey)), 'PRIVATE KEY');
    }
    const client = mqtt.connect(o.brokerUrl, {
      clientId: o.serial,
      ca: o.ca,
      cert: o.claimCert,
      key: o.claimKey,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
    });
    const replyTopic = `${prefix}/claims/${o.serial}/reply`;
    try {
      return await new Promise<DeviceBundleFiles>((resolve, reject) => {
        const send = () => {
          if (!client.connected) return;
          const body = JSON.stringify({
            v: 1,
            serial: o.serial,
            batch: o.batch,
            profile: o.profile,
            csr: this.#csr,
            nonce: randomBytes(16).toString('base64url'),
            ts: Date.now(),
          });
          this.sent.push(body);
          client.publish(`${prefix}/claims/${o.serial}`, body, { qos: 1 });
        };
        const timer = setInterval(send, o.retryMs ?? 2000);
        const deadline = setTimeout(
          () => finish(new Error(`no decision on claim ${o.serial} in time`)),
          timeoutMs,
        );
        const finish = (err: Error | null, b?: DeviceBundleFiles) => {
          clearInterval(timer);
          clearTimeout(deadline);
          if (err) reject(err);
          else resolve(b as DeviceBundleFiles);
        };
        client.on('connect', () => {
          client.subscribe(replyTopic, { qos: 1 }, () => send());
        });
        client.on('message', (topic, payload) => {
          if (topic !== replyTopic) return;
          const text = payload.toString('utf8');
          this.replies.push(text);
          let r: Record<string, unknown>;
          try {
            r = JSON.parse(text) as Record<string, unknown>;
          } catch {
            return;
          }
          if (r.serial !== o.serial) return;
          if (r.status === 'refused') finish(new Error(`claim ${o.serial} refused`));
          else if (r.status === 'approved') {
            try {
              finish(null, this.#install(r, prefix));
            } catch (err) {
              finish(err as Error);
            }
          }
        });
      });
    } finally {
      await new Promise<void>((r) => client.end(true, {}, () => r()));
    }
  }

  /** §14.4: derive the kid-1 secret with the device key and write the device's own bundle. */
  #install(r: Record<string, unknown>, prefix: string): DeviceBundleFiles {
    const o = this.#o;
    const id = String(r.device_id);
    const epk = Buffer.from(String(r.epk), 'base64url');
    const secret = rotatedSecretFor(
      createPrivateKey(this.#key as string),
      p256PublicKeyFromPoint(epk),
      id,
      1,
      epk,
    );
    const pem = (b64: string) => toPem(Buffer.from(b64, 'base64url'), 'CERTIFICATE');
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    writeAtomic(join(o.dir, 'ca.crt'), String(r.ca).split('.').map(pem).join(''), 0o644);
    writeAtomic(join(o.dir, 'device.crt'), pem(String(r.cert)), 0o644);
    writeAtomic(join(o.dir, 'device.key'), this.#key as string, 0o600);
    const info = {
      id,
      profile: o.profile,
      kid: Number(r.kid),
      secret: secret.toString('base64url'),
      alg: String(r.alg),
      broker_url: o.brokerUrl,
      topic_prefix: String(r.topic_prefix ?? prefix),
    };
    writeAtomic(join(o.dir, 'device.json'), `${JSON.stringify(info, null, 2)}\n`, 0o600);
    return readDeviceBundle(o.dir);
  }
}
