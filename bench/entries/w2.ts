import type { BenchEntry } from '../entry.ts';
import { atLeast, renderTable, type SummaryRow } from '../report.ts';
import { fmtNum, fmtRatio, median } from '../stats.ts';
import type { W1Result } from '../w1-throughput.ts';
import { type ChainResult, runCryptoChain, runStageBreakdown, type StageResult } from '../w2-crypto.ts';

/** W2: crypto chain msgs/s / W1 raw Aedes msgs/s (the crypto alone must not limit ingest). */
const TARGET = 2;

interface W2Result {
  chains: ChainResult[];
  stages: StageResult[];
}

export const entry: BenchEntry<W2Result> = {
  id: 'w2',
  title: 'crypto chain (parse + MAC + replay + decrypt), in-process loop',
  // First: pure CPU, nothing else running. Its ratio uses W1's raw rate, read at summary time.
  order: 10,
  inDefault: true,
  async run(ctx) {
    const bounds = { maxMessages: 200_000, maxMs: ctx.quick ? 1500 : 5000 };
    const chains = (['A256GCM', 'ASCON128'] as const).map((alg) => {
      const r = runCryptoChain(alg, 10_000, bounds);
      ctx.log(`  ${alg}: ${fmtNum(r.rate)} msgs/s (${fmtNum(r.usPerMessage, 1)} us/msg, ${r.messages} msgs)`);
      return r;
    });
    ctx.log('  stage breakdown (A256GCM) ...');
    const stages = runStageBreakdown({ maxMessages: 50_000, maxMs: ctx.quick ? 150 : 400 });
    return { chains, stages };
  },
  summary(w2, ctx) {
    const w1 = ctx.results.get('w1') as W1Result | undefined;
    const raw = w1?.rawRate ?? Number.NaN;
    if (!w2) return [row('W2 crypto chain', '-', '-', '-', 'ERROR')];
    return w2.chains.map((c) =>
      row(
        `W2 verify+replay+decrypt ${c.alg}, 128 B`,
        w1 ? `W1 raw ${fmtNum(raw)}/s` : '-',
        `${fmtNum(c.rate)}/s`,
        w1 ? fmtRatio(c.rate / raw) : '-',
        w1 ? atLeast(c.rate / raw, TARGET) : 'info',
      ),
    );
  },
  details(w2, ctx) {
    const lines = [
      '--- W2 details: per-stage cost, A256GCM, 128-byte body (informational) ---',
      renderTable(
        ['stage', 'us/op', 'ops', 'note'],
        w2.stages.map((s) => [s.stage, fmtNum(s.usPerOp, 2), String(s.ops), s.note]),
      ),
    ];
    const w1 = ctx.results.get('w1') as W1Result | undefined;
    if (w1) {
      const vig = w1.rounds.flat().filter((r) => r.side === 'vigil' && Number.isFinite(r.serverElu));
      const usPerMsg = median(vig.map((r) => (r.serverElu * 1e6) / r.ackRate));
      const chain = w2.chains.find((c) => c.alg === 'A256GCM')?.usPerMessage ?? Number.NaN;
      lines.push(
        `W1 Vigil server thread: ~${fmtNum(usPerMsg, 0)} us of event-loop time per message; of that the W2 chain ` +
          `(A256GCM) is ~${fmtNum(chain, 0)} us.`,
      );
    }
    return lines.join('\n');
  },
};

function row(
  workload: string,
  baseline: string,
  measured: string,
  result: string,
  status: SummaryRow['status'],
) {
  return { id: 'w2', workload, baseline, measured, result, target: `>= ${TARGET.toFixed(2)}x`, status };
}
