/**
 * Child process of the kill -9 durability suite: the real ingest pipeline on a data directory's
 * real store, with faults injected at chosen commits. It ingests the messages of a plan file all
 * at once (as a broker pipelines one client's PUBLISHes) and prints, line by line and unbuffered,
 * what a device would learn: `ack <seq>` (PUBACK), `nack <seq>` (storage failure: no PUBACK),
 * `rows <commit> <n>` for each transaction it starts. Then it kills itself with SIGKILL, or is
 * killed at `killAtCommit`, after the PUBACKs before it and before that transaction reaches the store.
 *
 * Usage: node test/helpers/crash-ingest.fixture.ts PLAN.json
 */
import { readFileSync, writeSync } from 'node:fs';
import pino from 'pino';
import { openContext } from '../../src/data-dir/context.ts';
import { DeviceKeyring } from '../../src/ingest/device-keyring.ts';
import { faultyStore, type StoreFault } from '../../src/ingest/faulty-store.fixture.ts';
import type { IngestResult } from '../../src/ingest/ingest-sink.ts';
import { IngestPipeline } from '../../src/ingest/pipeline.ts';
import { RejectionRecorder } from '../../src/ingest/rejection-recorder.ts';

export interface CrashPlan {
  dataDir: string;
  /** Messages as a broker hands them over; `seq` is for the report only. */
  messages: { topic: string; payload: string; seq: number; publisher: string }[];
  /** Commit number (1-based) at whose start the process is killed with SIGKILL. */
  killAtCommit?: number;
  /** Commit number -> the SQLite failure it gets. */
  faults?: Record<number, StoreFault>;
  /** After the first round, redeliver every message that got no PUBACK, as a device does. */
  redeliverUnacked?: boolean;
}

const out = (line: string) => writeSync(1, `${line}\n`);

const plan = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as CrashPlan;
const ctx = await openContext({ dataDir: plan.dataDir, logLevel: 'silent' });
const { store } = faultyStore(ctx.store, {
  faults: plan.faults ?? {},
  before: (call, batch) => out(`rows ${call} ${batch.readings.length + batch.messages.length}`),
  // The transaction never reaches the store: the process dies while it waits, once the PUBACKs
  // of the transactions before it are out (printed).
  hold: (call) =>
    call === plan.killAtCommit
      ? new Promise<void>(() => {
          setTimeout(() => {
            out('killed');
            process.kill(process.pid, 'SIGKILL');
          }, 200);
        })
      : undefined,
});
const logger = pino({ level: 'silent' });
const rejections = new RejectionRecorder({ store, logger, clock: Date.now });
const pipeline = new IngestPipeline({
  store,
  keyring: new DeviceKeyring(store, ctx.master),
  master: ctx.master,
  rejections,
  logger,
  clock: Date.now,
  topicPrefix: ctx.config.mqtt.topicPrefix,
  replayWindow: ctx.config.ingest.replayWindow,
  maxFutureSkewMs: ctx.config.ingest.maxFutureSkewMs,
  backfillAfterMs: ctx.config.ingest.backfillAfterMs,
});

async function round(messages: CrashPlan['messages']): Promise<CrashPlan['messages']> {
  const unacked: CrashPlan['messages'] = [];
  await Promise.all(
    messages.map((m) =>
      pipeline
        .ingest({
          topic: m.topic,
          payload: Buffer.from(m.payload, 'base64'),
          receivedAt: Date.now(),
          publisher: m.publisher,
        })
        .then(
          (r: IngestResult) => out(r.ok ? `ack ${m.seq}` : `ack ${m.seq} ${r.code}`),
          () => {
            out(`nack ${m.seq}`);
            unacked.push(m);
          },
        ),
    ),
  );
  return unacked.sort((a, b) => a.seq - b.seq);
}

let pending = await round(plan.messages);
if (plan.redeliverUnacked) {
  for (let attempt = 0; attempt < 3 && pending.length > 0; attempt++) pending = await round(pending);
}
out('done');
// A crash, not a shutdown: nothing is flushed or closed.
process.kill(process.pid, 'SIGKILL');
