/**
 * Envelope fuzzing through the real ingest pipeline (real keyring, replay guard, batch writer and
 * encrypted SQLite store in a temp dir). Checks, for every case: `ingest` never throws (the store
 * is healthy, so a throw is a bug), the outcome is what the case requires (controls accepted,
 * replays refused, no `internal`), and at the end that every acknowledged message is stored
 * exactly once and is refused as a replay after a restart.
 */
import { ERRORS } from '../../src/errors.ts';
import { openIngestRig, type TestDevice } from '../../src/ingest/ingest.fixture.ts';
import type { IngestResult } from '../../src/ingest/ingest-sink.ts';
import type { Channel } from '../../src/protocol/envelope.ts';
import { type CaseState, type FuzzCase, nextCase, rememberAcked } from './envelope-cases.ts';
import { type MemorySample, memorySample } from './memory.ts';
import { Prng } from './prng.ts';

export interface EnvelopeFuzzResult {
  cases: number;
  accepted: number;
  /** Refusals by counter label (`mac_invalid`, `envelope_schema`, ...), from the pipeline's recorder. */
  rejected: Record<string, number>;
  /** Cases per mutation, and how many of them were accepted. */
  mutations: Record<string, { cases: number; accepted: number }>;
  failures: string[];
  memory: { before: MemorySample; warm: MemorySample; after: MemorySample };
  ms: number;
}

export interface EnvelopeFuzzOptions {
  count: number;
  seed: number;
  /** Messages in flight at once (as a broker pipelines them). */
  concurrency?: number;
  progress?: (done: number) => void;
}

const MAX_FAILURES = 50;

export async function fuzzEnvelopes(o: EnvelopeFuzzOptions): Promise<EnvelopeFuzzResult> {
  const before = memorySample();
  const t0 = performance.now();
  // A virtual clock, 1 ms per case from a fixed start: with PRNG nonces, a seed fixes every byte.
  let virtualNow = 1_795_305_600_000;
  const clock = () => virtualNow;
  const rig = await openIngestRig({ clock });
  const failures: string[] = [];
  const fail = (why: string) => {
    if (failures.length < MAX_FAILURES) failures.push(why);
  };
  try {
    const rng = new Prng(o.seed);
    const devices: TestDevice[] = [];
    for (const [i, profile, alg] of [
      [1, 'vaccine-transport', 'A256GCM'],
      [2, 'vaccine-transport', 'ASCON128'],
      [3, 'patient-vitals', 'ASCON128'],
      [4, 'patient-vitals', 'A256GCM'],
      [5, 'temperature-probe', 'none'],
      [6, 'temperature-probe', 'A256GCM'],
    ] as const) {
      devices.push(await rig.provision(`fuzz-dev-${i}`, profile, alg, rng.bytes(32)));
    }
    const edge = await rig.provision('fuzz-edge-7', 'vaccine-transport', 'A256GCM', rng.bytes(32));
    const st: CaseState = { devices, edge, next: new Map(), acked: [], now: clock };
    const mutations: Record<string, { cases: number; accepted: number }> = {};
    /** Acknowledged seqs and rows per device and kind, to check the store at the end. */
    const ackedSeqs = new Map<string, number[]>();
    const expectRows = new Map<string, { readings: number; messages: number }>();
    let accepted = 0;
    let warm = before;

    const judge = (c: FuzzCase, res: IngestResult) => {
      const m = mutations[c.name] ?? { cases: 0, accepted: 0 };
      mutations[c.name] = m;
      m.cases++;
      if (res.ok) {
        m.accepted++;
        accepted++;
        const id = res.deviceId;
        const list = ackedSeqs.get(id) ?? [];
        list.push(res.seq);
        ackedSeqs.set(id, list);
        const e = expectRows.get(id) ?? { readings: 0, messages: 0 };
        const channel = res.channel as Channel;
        if (channel === 'telemetry') e.readings += c.rows;
        else e.messages++;
        expectRows.set(id, e);
        if (c.expect !== undefined && c.expect !== 'ok') fail(`${c.name}: accepted, expected ${c.expect}`);
        return;
      }
      if (!(res.code in ERRORS)) fail(`${c.name}: unknown code ${res.code}`);
      if (res.code === 'VIGIL_ERR_INTERNAL') fail(`${c.name}: internal error (a bug) for seq ${c.seq}`);
      if (c.expect === 'ok') fail(`${c.name}: refused ${res.code}, expected acceptance`);
      else if (c.expect !== undefined && c.expect !== 'refused' && c.expect !== res.code) {
        fail(`${c.name}: refused ${res.code}, expected ${c.expect}`);
      }
    };

    const window = o.concurrency ?? 64;
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < o.count; i++) {
      virtualNow++;
      const c = nextCase(st, rng.fork());
      if (c.after) await c.after;
      const p = rig.pipeline.ingest(c.msg).then(
        (res) => judge(c, res),
        (err: unknown) =>
          fail(
            `${c.name}: ingest threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
          ),
      );
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (c.expect === 'ok') {
        const env = JSON.parse(c.msg.payload.toString('utf8')) as { n: string };
        const channel = c.msg.topic.slice(c.msg.topic.lastIndexOf('/') + 1) as Channel;
        rememberAcked(st, {
          device: c.device,
          payload: c.msg.payload,
          channel,
          seq: c.seq,
          nonce: env.n,
          settled: p,
        });
      }
      if (inFlight.size >= window) await Promise.race(inFlight);
      if ((i + 1) % 10_000 === 0) o.progress?.(i + 1);
      if (i + 1 === Math.ceil(o.count / 10)) {
        await Promise.all(inFlight);
        warm = memorySample();
      }
    }
    await Promise.all(inFlight);

    // Every acknowledged message is stored exactly once.
    for (const d of [...devices, edge]) {
      const e = expectRows.get(d.id) ?? { readings: 0, messages: 0 };
      const readings = await rig.store.countReadings(d.id);
      if (readings !== e.readings) fail(`${d.id}: ${readings} readings stored, ${e.readings} acknowledged`);
      const msgs = await rig.store.queryMessages({ deviceId: d.id, limit: 100_000 });
      if (msgs.length < 100_000 && msgs.length !== e.messages) {
        fail(`${d.id}: ${msgs.length} messages stored, ${e.messages} acknowledged`);
      }
      const seqs = ackedSeqs.get(d.id) ?? [];
      if (new Set(seqs).size !== seqs.length) fail(`${d.id}: a seq was acknowledged twice`);
    }
    const rejected = rig.rejections.totals();
    // And its replay window survives a restart: acknowledged messages are refused again.
    const restarted = await rig.restart();
    for (const a of st.acked.slice(-64)) {
      const res = await restarted.ingest({
        topic: `vigil/v1/devices/${a.device.id}/${a.channel}`,
        payload: a.payload,
        receivedAt: clock(),
        publisher: a.device.id,
      });
      if (res.ok) fail(`${a.device.id} seq ${a.seq}: accepted again after a restart`);
    }
    const after = memorySample();
    return {
      cases: o.count,
      accepted,
      rejected,
      mutations,
      failures,
      memory: { before, warm, after },
      ms: performance.now() - t0,
    };
  } finally {
    await rig.close();
  }
}
