import type { Logger } from 'pino';
import { isVigilError, VigilError } from '../errors.ts';
import type { MasterKey } from '../keys/master-key.ts';
import {
  type DeviceEventBody,
  parseAckBody,
  parseEventBody,
  parseTelemetryBody,
  type Sample,
} from '../protocol/bodies.ts';
import {
  type Channel,
  type Envelope,
  envelopeNonce,
  openEnvelope,
  parseEnvelope,
  verifyEnvelopeMac,
} from '../protocol/envelope.ts';
import { parseDeviceTopic } from '../protocol/topics.ts';
import type { MessageRecord, ReadingRecord, Store } from '../storage/store.ts';
import { BatchWriter } from './batch-writer.ts';
import type { DeviceKeyring } from './device-keyring.ts';
import type { InboundMessage, IngestResult, IngestSink } from './ingest-sink.ts';
import type { RejectionRecorder } from './rejection-recorder.ts';
import { ReplayGuard } from './replay-guard.ts';

export interface PipelineOptions {
  store: Store;
  keyring: DeviceKeyring;
  master: MasterKey;
  rejections: RejectionRecorder;
  logger: Logger;
  clock: () => number;
  topicPrefix: string;
  /** Replay window size in seq numbers (>= 1024). */
  replayWindow: number;
  /** How far in the future a `ts` may be (device clock skew). */
  maxFutureSkewMs: number;
  /** A sample older than this on arrival is marked as backfill. */
  backfillAfterMs: number;
  /** Called after an accepted message is durable (live feed, rules). Must not throw. */
  onAccepted?: (ev: AcceptedMessage) => void;
}

export interface AcceptedMessage {
  deviceId: string;
  channel: Channel;
  seq: number;
  /** The key generation the envelope was sealed under (key rotation watches for the new one). */
  kid?: number;
  readings: ReadingRecord[];
  messages: MessageRecord[];
}

/** One group commit: rows written, messages in it, and how long the transaction took. */
export interface CommitInfo {
  rows: number;
  items: number;
  ms: number;
}

export interface PipelineStats {
  accepted: number;
  rejected: number;
  readings: number;
  commits: number;
  lastCommitMs: number;
}

/**
 * The ingest pipeline, in the receiver order of DESIGN.md §4:
 * size and schema → known, enabled device and key generation → MAC (constant time) →
 * replay guard → decrypt → body schema → store. Each rejection is counted by reason and audited
 * (through the RejectionRecorder) and never throws out of `ingest`; only a storage failure does,
 * so the broker withholds the acknowledgement and the device redelivers.
 */
export class IngestPipeline implements IngestSink {
  readonly #o: PipelineOptions;
  readonly #replay: ReplayGuard;
  readonly #writer: BatchWriter;
  readonly #commitListeners = new Set<(info: CommitInfo) => void>();
  readonly stats: PipelineStats = { accepted: 0, rejected: 0, readings: 0, commits: 0, lastCommitMs: 0 };

  constructor(opts: PipelineOptions) {
    this.#o = opts;
    this.#replay = new ReplayGuard(opts.store, opts.replayWindow, opts.clock);
    this.#writer = new BatchWriter({
      store: opts.store,
      replayState: (id) => this.#replay.snapshot(id),
      onCommit: (info) => {
        this.stats.commits++;
        this.stats.lastCommitMs = info.ms;
        for (const fn of this.#commitListeners) {
          try {
            fn(info);
          } catch (err) {
            opts.logger.error({ err }, 'commit listener failed');
          }
        }
      },
    });
  }

  /** Subscribes to group-commit timings (the API's store-latency histogram); returns the unsubscribe. */
  onCommit(fn: (info: CommitInfo) => void): () => void {
    this.#commitListeners.add(fn);
    return () => this.#commitListeners.delete(fn);
  }

  get replay(): ReplayGuard {
    return this.#replay;
  }

  async ingest(msg: InboundMessage): Promise<IngestResult> {
    let deviceId: string | undefined;
    try {
      const route = parseDeviceTopic(this.#o.topicPrefix, msg.topic);
      if (!route || route.channel === 'state' || route.channel === 'commands') {
        throw new VigilError('VIGIL_ERR_TOPIC', 'not a device data topic');
      }
      deviceId = route.deviceId;
      if (msg.publisher !== undefined && msg.publisher !== deviceId) {
        throw new VigilError('VIGIL_ERR_ACL', 'publisher is not the topic device');
      }
      const env = parseEnvelope(msg.payload);
      if (env.dev !== deviceId) throw new VigilError('VIGIL_ERR_TOPIC', 'envelope dev differs from topic');
      return await this.#accept(env, route.channel, msg.receivedAt);
    } catch (err) {
      if (!isVigilError(err) || err.code === 'VIGIL_ERR_STORE') throw err;
      this.stats.rejected++;
      this.#o.rejections.record({
        code: err.code,
        source: 'ingest',
        deviceId,
        address: msg.address,
        detail: err.detail ? { why: err.detail.slice(0, 200) } : undefined,
      });
      return { ok: false, code: err.code, ...(deviceId ? { deviceId } : {}) };
    }
  }

  async #accept(env: Envelope, channel: Channel, receivedAt: number): Promise<IngestResult> {
    const resolved = await this.#o.keyring.resolve(env.dev, env.kid);
    if (resolved instanceof VigilError) throw resolved;
    const { device, keys } = resolved;
    // The alg is bound to the device at provisioning: otherwise a holder of K_mac alone (a
    // gateway) could forge `alg: "none"` envelopes and defeat the K_enc / K_mac split.
    if (env.alg !== device.alg)
      throw new VigilError('VIGIL_ERR_ALG_MISMATCH', `${env.alg} (provisioned ${device.alg})`);
    if (!verifyEnvelopeMac(env, channel, keys.mac)) throw new VigilError('VIGIL_ERR_MAC_INVALID');
    await this.#replay.load(env.dev);
    const now = this.#o.clock();
    if (env.ts > now + this.#o.maxFutureSkewMs) {
      throw new VigilError('VIGIL_ERR_TS_FUTURE', `${env.ts - now} ms ahead`);
    }
    const fp = ReplayGuard.fingerprint(envelopeNonce(env));
    // From here to the write below nothing awaits: check-and-accept and enqueue are one step.
    const why = this.#replay.checkAndAccept(env.dev, env.seq, fp);
    if (why) throw new VigilError(why, `seq ${env.seq}`);
    const body = openEnvelope(env, channel, keys.enc);
    const readings: ReadingRecord[] = [];
    const messages: MessageRecord[] = [];
    if (channel === 'telemetry') {
      const samples = parseTelemetryBody(device.profile, body);
      this.#checkSampleTimes(samples, now);
      samples.forEach((s, idx) => {
        const { ts, ...data } = s;
        readings.push({
          deviceId: env.dev,
          seq: env.seq,
          idx,
          ts,
          receivedAt,
          backfill: receivedAt - ts > this.#o.backfillAfterMs,
          data,
        });
      });
    } else if (channel === 'events') {
      const ev = parseEventBody(body);
      if (ev.ts !== undefined && ev.ts > now + this.#o.maxFutureSkewMs) {
        throw new VigilError('VIGIL_ERR_TS_FUTURE', 'event ts ahead');
      }
      messages.push({
        deviceId: env.dev,
        seq: env.seq,
        channel,
        ts: ev.ts ?? env.ts,
        receivedAt,
        body: this.#redact(ev),
      });
    } else {
      const ack = parseAckBody(body);
      messages.push({ deviceId: env.dev, seq: env.seq, channel: 'acks', ts: env.ts, receivedAt, body: ack });
    }
    try {
      await this.#writer.write({ deviceId: env.dev, readings, messages, seenAt: receivedAt });
    } catch (cause) {
      this.#replay.forget(env.dev, env.seq, fp);
      this.#o.logger.error({ err: cause, device: env.dev }, 'store failed; message not acknowledged');
      throw new VigilError('VIGIL_ERR_STORE', 'write failed', { cause });
    }
    this.stats.accepted++;
    this.stats.readings += readings.length;
    this.#o.onAccepted?.({ deviceId: env.dev, channel, seq: env.seq, kid: env.kid, readings, messages });
    return { ok: true, deviceId: env.dev, channel, seq: env.seq };
  }

  #checkSampleTimes(samples: Sample[], now: number): void {
    for (const s of samples) {
      if (s.ts > now + this.#o.maxFutureSkewMs)
        throw new VigilError('VIGIL_ERR_TS_FUTURE', 'sample ts ahead');
    }
  }

  /** A delivery token is stored only as a keyed hash (DESIGN.md §5); it never reaches the store. */
  #redact(ev: DeviceEventBody): Record<string, unknown> {
    if (typeof ev.token !== 'string') return ev;
    const { token, ...rest } = ev;
    return { ...rest, token_hash: this.#o.master.keyedHash('delivery-token', token as string) };
  }

  async close(): Promise<void> {
    await this.#writer.close();
  }
}
