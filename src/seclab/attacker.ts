import type { MqttClient } from 'mqtt';
import type { Alg } from '../protocol/aead.ts';
import type { Channel, Envelope } from '../protocol/envelope.ts';
import type { DeviceBundleFiles } from '../sim/device-bundle.ts';
import type { Lab } from './lab.ts';
import {
  connectDevice,
  endClient,
  publishOnce,
  sealFor,
  serializeEnvelope,
  topicOf,
  truckSample,
} from './mqtt-tools.ts';
import { errorOutcome, type Outcome } from './scenario.ts';

/** Every rejection label ingest counts (docs/protocol.md §6.5). */
export const INGEST_REJECTIONS = [
  'envelope_size',
  'envelope_schema',
  'topic',
  'acl',
  'unknown_device',
  'device_disabled',
  'unknown_kid',
  'alg_mismatch',
  'mac_invalid',
  'ts_future',
  'replay',
  'replay_too_old',
  'nonce_reuse',
  'decrypt',
  'body_schema',
] as const;

/**
 * An attacker holding one device's TLS identity (a stolen device, or a gateway on its path): an
 * open MQTT connection as that device and the device's own seq counter. Whether it also holds the
 * device secret depends on the scenario: envelopes it "captured" are sealed by the device's code.
 */
export class Attacker {
  readonly lab: Lab;
  readonly bundle: DeviceBundleFiles;
  client: MqttClient;
  #seq = 0;

  private constructor(lab: Lab, bundle: DeviceBundleFiles, client: MqttClient) {
    this.lab = lab;
    this.bundle = bundle;
    this.client = client;
  }

  static async open(lab: Lab, what: string, alg?: Alg): Promise<Attacker> {
    const bundle = await lab.device(what, alg ? { alg } : {});
    const client = await connectDevice(lab.target.mqttUrl, bundle);
    return new Attacker(lab, bundle, client);
  }

  get id(): string {
    return this.bundle.info.id;
  }

  /** The next unused seq (jump it forward to test the window). */
  nextSeq(jump = 1): number {
    this.#seq += jump;
    return this.#seq;
  }

  /** A genuine envelope of this device, as its firmware would send it. */
  genuine(o: { seq?: number; temp?: number; ts?: number; channel?: Channel } = {}): Envelope {
    return sealFor(
      this.bundle,
      o.channel ?? 'telemetry',
      { samples: [truckSample(o.ts ?? Date.now(), o.temp)] },
      {
        seq: o.seq ?? this.nextSeq(),
        ...(o.ts !== undefined ? { ts: o.ts } : {}),
      },
    );
  }

  async ensureConnected(): Promise<void> {
    if (this.client.connected) return;
    await endClient(this.client).catch(() => {});
    this.client = await connectDevice(this.lab.target.mqttUrl, this.bundle);
  }

  async close(): Promise<void> {
    await endClient(this.client).catch(() => {});
  }

  /**
   * Publishes `payload` and judges it: refused when no row was added for `dev` (default: this
   * device) and one of the `expect` labels was counted; `reason` is the label that moved.
   */
  async judge(
    payload: string | Buffer,
    o: { dev?: string; topic?: string; expect?: readonly string[] } = {},
  ): Promise<{ refused: boolean; stored: boolean; reason: string | undefined; lines: string[] }> {
    await this.ensureConnected();
    const topic = o.topic ?? topicOf(this.bundle, 'telemetry');
    const expect = o.expect ?? INGEST_REJECTIONS;
    const dev = o.dev ?? this.id;
    const { store } = this.lab.target.ctx;
    const before = await this.lab.rejections();
    const rowsBefore = await store.countReadings(dev);
    const outcome = await publishOnce(this.client, topic, payload);
    const rowsAfter = await store.countReadings(dev);
    const grown = expect.length > 0 ? await this.lab.counted(before, expect) : {};
    const reason = Object.keys(grown)[0];
    const stored = rowsAfter > rowsBefore;
    const lines = [
      `PUBLISH to ${topic}: ${outcome === 'acked' ? 'PUBACK' : outcome === 'closed' ? 'connection closed, no PUBACK' : 'no answer'}`,
      `readings stored for ${dev}: ${rowsBefore} before, ${rowsAfter} after`,
      expect.length === 0
        ? ''
        : reason
          ? `counted: rejected.${reason} +${grown[reason]}`
          : `counted: none of ${expect.join(', ')} moved within 5 s`,
    ].filter(Boolean);
    return { refused: !stored && reason !== undefined, stored, reason, lines };
  }
}

export { serializeEnvelope };

/**
 * Runs `fn` with an attacker of its own (`Attacker.open(lab, what)`), closed afterwards; an
 * exception becomes the scenario's error outcome.
 */
export async function withAttacker(
  ctx: { lab: Lab },
  what: string,
  fn: (a: Attacker) => Promise<Outcome>,
): Promise<Outcome> {
  let a: Attacker | undefined;
  try {
    a = await Attacker.open(ctx.lab, what);
    return await fn(a);
  } catch (err) {
    return errorOutcome(err);
  } finally {
    await a?.close();
  }
}
