import { FAMILIES, FAMILY_TITLES, type ScenarioResult, type SeclabReport } from './seclab-types.ts';
import { fmtBytes, fmtMs, fmtPct } from './stats.ts';

const VERDICT_MARK: Record<ScenarioResult['verdict'], string> = {
  refused: 'refused',
  'got through': '**GOT THROUGH**',
  degraded: '*degraded*',
  skipped: 'skipped',
  error: 'error',
};

/** Text for a Markdown table cell: one line, no pipes. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function service(r: ScenarioResult): string {
  return `${fmtPct(r.service.successRate)} of ${r.service.sent}, p99 ${fmtMs(r.service.p99Ms)}`;
}

function summaryLines(r: SeclabReport): string[] {
  const s = r.summary;
  const worst = s.worstDegradation;
  return [
    '| scenarios | refused | got through | degraded | skipped | errors |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${s.scenarios} | ${s.refused} | ${s.gotThrough} | ${s.degraded} | ${s.skipped} | ${s.errors} |`,
    '',
    worst
      ? `Worst degradation: \`${worst.id}\`, the good device's p99 during the attack was ${worst.p99Ratio.toFixed(1)}x its p99 just before, with ${fmtPct(worst.successRate)} of its readings acknowledged.`
      : 'No flood ran in this mode (floods run with `--full`).',
  ];
}

/** The human report: summary, one table of every scenario, the floods' phases and charts, details. */
export function reportMarkdown(r: SeclabReport): string {
  const m = r.machine;
  const out: string[] = [
    '# Vigil seclab report',
    '',
    `\`vigil seclab --${r.mode}\`, ${r.startedAt} to ${r.finishedAt} (${(r.durationMs / 60_000).toFixed(1)} min).`,
    '',
    `- Target: ${r.target.kind === 'throwaway' ? 'a throwaway `vigil start` (temporary data directory, default settings)' : `the vigil running on ${r.target.dataDir}`}, MQTT ${r.target.mqtt}, HTTPS ${r.target.https}.`,
    `- Machine: ${m.cpuModel} x${m.cpuCount}, ${m.memoryGiB} GiB, Node ${m.node}, OpenSSL ${m.openssl}; load average at the end ${m.loadAvg.join(' / ')} (1/5/15 min). Vigil ${r.vigilVersion}.`,
    '- The good device publishes one QoS 1 reading every 100 ms throughout; its success rate and p99 round trip (publish to PUBACK, which Vigil sends only after the reading is stored) are given for every scenario.',
    '',
    '## Summary',
    '',
    ...summaryLines(r),
    '',
    "Verdicts: **refused**: the attack failed and was counted where Vigil promises it; **got through**: the attack reached its aim, or a refusal that should be counted was not, or a flood denied the good device more than half its readings or left it impaired afterwards; **degraded**: refused, but the good device's p99 rose above 5x its baseline (judged over at least 50 readings) or one of its readings failed; **skipped**: not run here, with the reason; **error**: the scenario itself could not run.",
    '',
    '## Results',
    '',
    '| family | scenario | verdict | observed | good device |',
    '|---|---|---|---|---|',
    ...r.scenarios.map(
      (s) =>
        `| ${FAMILY_TITLES[s.family]} | \`${s.id}\` | ${VERDICT_MARK[s.verdict]} | ${cell(s.observed)} | ${service(s)} |`,
    ),
    '',
  ];
  const floods = r.scenarios.filter((s) => s.phases);
  if (floods.length > 0) {
    out.push('## Floods: before, during, after', '');
    out.push(
      '| flood | phase | good device success | p99 | CPU (cores) | RSS max | log bytes |',
      '|---|---|---:|---:|---:|---:|---:|',
    );
    for (const f of floods) {
      const p = f.phases;
      if (!p) continue;
      for (const [name, x] of [
        ['before', p.before],
        ['during', p.during],
        ['after', p.after],
      ] as const) {
        out.push(
          `| \`${f.id}\` | ${name} | ${fmtPct(x.successRate)} of ${x.sent} | ${fmtMs(x.p99Ms)} | ${Number.isFinite(x.cpu) ? x.cpu.toFixed(2) : 'n/a'} | ${fmtBytes(x.rssMaxBytes)} | ${Number.isFinite(x.logBytes) ? x.logBytes : 'n/a'} |`,
        );
      }
    }
    out.push('');
    for (const f of floods) {
      if (f.phases?.chart) out.push(`![${f.id}: good device p99 per second](${f.phases.chart})`, '');
    }
  }
  out.push('## Details', '');
  for (const fam of FAMILIES) {
    const list = r.scenarios.filter((s) => s.family === fam);
    if (list.length === 0) continue;
    out.push(`### ${FAMILY_TITLES[fam]}`, '');
    for (const s of list) {
      out.push(`#### \`${s.id}\`: ${s.title}`, '');
      out.push(`- **Attacked:** ${s.attacked}`);
      out.push(`- **Expected:** ${s.expected}`);
      out.push(`- **Observed:** ${s.observed}`);
      out.push(`- **Verdict:** ${VERDICT_MARK[s.verdict]} (${(s.durationMs / 1000).toFixed(1)} s)`);
      out.push(
        `- **Good device:** ${service(s)}${s.phases ? ` (before: ${fmtPct(s.phases.before.successRate)}, p99 ${fmtMs(s.phases.before.p99Ms)}; after: ${fmtPct(s.phases.after.successRate)}, p99 ${fmtMs(s.phases.after.p99Ms)})` : ''}`,
      );
      if (s.evidence.length > 0) {
        out.push('- **Evidence:**');
        for (const e of s.evidence) out.push(`  - ${e.replace(/\n/g, ' ')}`);
      }
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}

/** The few lines a terminal gets. */
export function reportSummaryText(r: SeclabReport, dir: string): string[] {
  const s = r.summary;
  const lines = [
    `seclab ${r.mode}: ${s.scenarios} scenarios, ${s.refused} refused, ${s.gotThrough} got through, ${s.degraded} degraded, ${s.skipped} skipped, ${s.errors} errors (${(r.durationMs / 1000).toFixed(0)} s)`,
  ];
  if (s.worstDegradation) {
    lines.push(
      `worst degradation: ${s.worstDegradation.id}, good p99 ${s.worstDegradation.p99Ratio.toFixed(1)}x baseline, ${fmtPct(s.worstDegradation.successRate)} acknowledged`,
    );
  }
  for (const x of r.scenarios.filter((x) => x.verdict === 'got through' || x.verdict === 'error')) {
    lines.push(`${x.verdict.toUpperCase()}: ${x.id}: ${x.observed}`);
  }
  lines.push(`report: ${dir}/seclab-report.md (and .json)`);
  return lines;
}
