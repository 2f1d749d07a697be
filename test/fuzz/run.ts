/**
 * The fuzz harness: `npm run fuzz -- --envelopes N --packets M [--seed S]`.
 * Envelopes go through the real ingest pipeline; packets go to the real TLS listener of a real
 * `vigil start`. A run is reproducible from its seed (printed first). Exits 1 on any failure:
 * a crash, an unhandled rejection, an acknowledged message not stored, a bad outcome, or memory
 * that does not stay flat. Prints RSS before and after and the rejections by reason.
 */
import { parseArgs } from 'node:util';
import { type EnvelopeFuzzResult, fuzzEnvelopes } from './envelope-fuzz.ts';
import { isFlat } from './memory.ts';
import { fuzzPackets, type PacketFuzzResult } from './packet-fuzz.ts';
import { seedOf } from './prng.ts';

export interface FuzzRunOptions {
  envelopes: number;
  packets: number;
  seed: number;
  log?: (line: string) => void;
}

export interface FuzzRunResult {
  seed: number;
  envelopes?: EnvelopeFuzzResult;
  packets?: PacketFuzzResult;
  /** Every failure of the run; empty when it passed. */
  failures: string[];
}

const table = (rows: Record<string, number>) =>
  Object.entries(rows)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `    ${k.padEnd(34)} ${String(v).padStart(9)}`)
    .join('\n');

/** Runs both fuzzers (either may be 0) and collects failures, including unhandled rejections. */
export async function runFuzz(o: FuzzRunOptions): Promise<FuzzRunResult> {
  const log = o.log ?? (() => {});
  const failures: string[] = [];
  const onRejection = (err: unknown) => failures.push(`unhandled rejection: ${String(err)}`);
  const onException = (err: unknown) => failures.push(`uncaught exception: ${String(err)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  const out: FuzzRunResult = { seed: o.seed, failures };
  try {
    if (o.envelopes > 0) {
      log(`envelopes: ${o.envelopes} through the real pipeline`);
      const e = await fuzzEnvelopes({
        count: o.envelopes,
        seed: o.seed,
        progress: (n) => n % 100_000 === 0 && log(`  ${n} envelopes`),
      });
      out.envelopes = e;
      failures.push(...e.failures.map((f) => `envelope: ${f}`));
      if (!isFlat(e.memory.warm.heapUsedMb, e.memory.after.heapUsedMb)) {
        failures.push(
          `envelope: heap grew from ${e.memory.warm.heapUsedMb} MB to ${e.memory.after.heapUsedMb} MB`,
        );
      }
      log(
        `  ${e.cases} cases in ${(e.ms / 1000).toFixed(1)} s, ${e.accepted} accepted\n` +
          `  RSS before ${e.memory.before.rssMb} MB, after warm-up ${e.memory.warm.rssMb} MB, after ${e.memory.after.rssMb} MB` +
          ` (heap after GC: ${e.memory.warm.heapUsedMb} -> ${e.memory.after.heapUsedMb} MB)\n` +
          `  rejections by reason:\n${table(e.rejected)}`,
      );
    }
    if (o.packets > 0) {
      log(`packets: ${o.packets} to the TLS listener of a real vigil start`);
      const p = await fuzzPackets({
        count: o.packets,
        seed: o.seed ^ 0x5a5a5a5a,
        progress: (n) => n % 10_000 < 500 && log(`  ${n} packets`),
      });
      out.packets = p;
      failures.push(...p.failures.map((f) => `packet: ${f}`));
      log(
        `  ${p.packets} packets over ${p.connections} connections in ${(p.ms / 1000).toFixed(1)} s\n` +
          `  server RSS before ${p.serverRssMb.before} MB, after warm-up ${p.serverRssMb.warm} MB, after ${p.serverRssMb.after} MB\n` +
          `  probes: ${p.probes.sent} sent, ${p.probes.acked} acknowledged, ${p.probes.stored} stored\n` +
          `  server rejections by reason:\n${table(p.rejected)}\n  client outcomes:\n${table(p.outcomes)}`,
      );
    }
  } finally {
    // Let a late rejection surface before the handlers go.
    await new Promise((r) => setImmediate(r));
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      envelopes: { type: 'string', default: '10000' },
      packets: { type: 'string', default: '2000' },
      seed: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: npm run fuzz -- [--envelopes N] [--packets M] [--seed S]');
    return;
  }
  const count = (s: string | undefined, name: string) => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const seed = values.seed !== undefined ? seedOf(values.seed) : Math.floor(Math.random() * 2 ** 32);
  console.log(`vigil fuzz: seed ${seed} (reproduce with --seed ${seed}), node ${process.version}`);
  const r = await runFuzz({
    envelopes: count(values.envelopes, 'envelopes'),
    packets: count(values.packets, 'packets'),
    seed,
    log: (l) => console.log(l),
  });
  if (r.failures.length > 0) {
    console.log(`FAILED (${r.failures.length}):\n${r.failures.map((f) => `  ${f}`).join('\n')}`);
    process.exitCode = 1;
  } else console.log('passed: no crash, no unhandled rejection, no acknowledged message lost, memory flat');
}

if (import.meta.main) await main();
