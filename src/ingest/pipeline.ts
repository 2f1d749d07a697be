import type { Logger } from 'pino';
import { type ErrorCode, isVigilError, VigilError } from '../errors.ts';
import type { MasterKey } from '../keys/master-key.ts';
import type { Channel } from '../protocol/envelope.ts';
import type { MessageRecord, ReadingRecord, Store } from '../storage/store.ts';
import { BatchWriter, type WriteOutcome } from './batch-writer.ts';
import type { DeviceKeyring } from './device-keyring.ts';
import type { InboundMessage, IngestResult, IngestSink } from './ingest-sink.ts';
import type { RejectionRecorder } from './rejection-recorder.ts';
import { ReplayGuard } from './replay-guard.ts';
import { type MessageContext, newMessageContext, type StepDeps } from './steps/message-context.ts';
import { RECEIVER_STEPS } from './steps/receiver-steps.ts';

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
  /** Upper bound on rows per group-commit transaction (default 2000). */
  maxRowsPerCommit?: number;
  /** The gateway a device is bound to: its relayed envelopes are accepted (docs/gateway.md). */
  gatewayOf?: (deviceId: string) => string | undefined;
  /** Called after an accepted message is durable (live feed, rules). Must not throw. */
  onAccepted?: (ev: AcceptedMessage) => void;
  /** Called when a store commit failed (disk full is told apart there). Must not throw. */
  onStoreFailure?: (err: unknown) => void;
  /** False while storage cannot take writes (data volume full): messages are not acknowledged. */
  writable?: () => boolean;
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
 * The ingest pipeline: runs RECEIVER_STEPS (docs/protocol.md §6.2) over each message, then stores
 * the rows with their replay state in one group-commit transaction. Each rejection is counted by
 * reason and audited (through the RejectionRecorder) and never throws out of `ingest`; only a
 * storage failure does, so the broker withholds the acknowledgement and the device redelivers.
 *
 * After the replay step a message owns its seq. A rejection by a later step spends it (it is
 * persisted with the next transaction, docs/protocol.md §6.2); an unexpected error (a bug) is
 * counted as `internal` and gives the seq back, so the device's redelivery is judged again.
 */
export class IngestPipeline implements IngestSink {
  readonly #o: PipelineOptions;
  readonly #replay: ReplayGuard;
  readonly #writer: BatchWriter;
  readonly #deps: StepDeps;
  readonly #commitListeners = new Set<(info: CommitInfo) => void>();
  readonly stats: PipelineStats = { accepted: 0, rejected: 0, readings: 0, commits: 0, lastCommitMs: 0 };

  constructor(opts: PipelineOptions) {
    this.#o = opts;
    this.#replay = new ReplayGuard(opts.store, opts.replayWindow, opts.clock);
    this.#deps = {
      topicPrefix: opts.topicPrefix,
      gatewayOf: opts.gatewayOf,
      keyring: opts.keyring,
      replay: this.#replay,
      maxFutureSkewMs: opts.maxFutureSkewMs,
      backfillAfterMs: opts.backfillAfterMs,
      tokenHash: (token) => opts.master.keyedHash('delivery-token', token),
    };
    this.#writer = new BatchWriter({
      store: opts.store,
      ledger: this.#replay,
      ...(opts.maxRowsPerCommit !== undefined ? { maxRows: opts.maxRowsPerCommit } : {}),
      onCommit: (info) => {
        this.stats.commits++;
        this.stats.lastCommitMs = info.ms;
        for (const fn of this.#commitListeners) {
          try {
            fn(info);
          } catch (err) {
            // Stryker disable next-line all: log text only
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

  async ingest(msg: InboundMessage): Promise<IngestResult> {
    const ctx = newMessageContext(msg, this.#o.clock());
    try {
      for (const step of RECEIVER_STEPS) {
        const pending = step(ctx, this.#deps);
        if (pending) await pending;
      }
    } catch (err) {
      return this.#refuse(ctx, err);
    }
    const refused = await this.#persist(ctx);
    // Another ingest process committed this seq first (a replay split across workers): refused
    // under the device's row lock, nothing written; the seq stays spent in this window too.
    if (refused) return this.#record(ctx, refused, `seq ${ctx.env.seq} committed by another worker`);
    this.stats.accepted++;
    this.stats.readings += ctx.readings.length;
    const { deviceId, channel, env, readings, messages } = ctx;
    this.#o.onAccepted?.({ deviceId, channel, seq: env.seq, kid: env.kid, readings, messages });
    return { ok: true, deviceId, channel, seq: env.seq };
  }

  /**
   * Queues the message's rows (none for a refused message that spent its seq) and waits until
   * durable; returns why the store refused the seq, if it did (see BatchWriter.write).
   */
  async #persist(ctx: MessageContext): Promise<WriteOutcome> {
    const mark = ctx.mark as NonNullable<MessageContext['mark']>;
    try {
      // A full data volume takes no writes (src/continuity/storage-health.ts): the message is not
      // queued and not acknowledged, and its seq goes back as after a failed transaction.
      if (this.#o.writable && !this.#o.writable()) {
        this.#replay.release(mark);
        throw new VigilError('VIGIL_ERR_DISK_FULL');
      }
      return await this.#writer.write({
        mark,
        readings: ctx.readings,
        messages: ctx.messages,
        seenAt: ctx.msg.receivedAt,
      });
    } catch (cause) {
      // The writer (or the full-volume check above) already restored the device's window to its
      // last committed state.
      this.#o.onStoreFailure?.(cause);
      // Stryker disable next-line all: log text only
      this.#o.logger.error({ err: cause, device: mark.deviceId }, 'store failed; message not acknowledged');
      throw new VigilError('VIGIL_ERR_STORE', 'write failed', { cause });
    }
  }

  async #refuse(ctx: MessageContext, err: unknown): Promise<IngestResult> {
    if (isVigilError(err, 'VIGIL_ERR_STORE')) {
      if (ctx.mark) this.#replay.release(ctx.mark);
      throw err;
    }
    let code: ErrorCode;
    let why: string | undefined;
    if (isVigilError(err)) {
      code = err.code;
      why = err.detail;
      // Refused after the replay step: the seq is spent, and persisted like an accepted one.
      if (ctx.mark) await this.#persist({ ...ctx, readings: [], messages: [] });
    } else {
      // A bug, not the device's fault: count it, give the seq back, keep serving.
      code = 'VIGIL_ERR_INTERNAL';
      why = err instanceof Error ? err.name : typeof err;
      if (ctx.mark) this.#replay.release(ctx.mark);
      // Stryker disable all: log text only
      this.#o.logger.error(
        // The stack without its first line: the message of an error thrown while reading a
        // decrypted body could quote it.
        {
          errName: why,
          stack: err instanceof Error ? err.stack?.split('\n').slice(1).join('\n') : undefined,
        },
        'unexpected error in a receiver step; counted as internal',
      );
      // Stryker restore all
    }
    return this.#record(ctx, code, why);
  }

  /** Counts and records a refusal; the result the transport turns into its answer. */
  #record(ctx: MessageContext, code: ErrorCode, why: string | undefined): IngestResult {
    this.stats.rejected++;
    const deviceId = ctx.deviceId as string | undefined;
    this.#o.rejections.record({
      code,
      source: 'ingest',
      deviceId,
      address: ctx.msg.address,
      detail: why ? { why: why.slice(0, 200) } : undefined,
    });
    return { ok: false, code, ...(deviceId ? { deviceId } : {}) };
  }

  async close(): Promise<void> {
    await this.#writer.close();
  }
}
