import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportMarkdown } from './report-markdown.ts';
import { DEGRADED_P99_RATIO } from './run-seclab.ts';
import type { SeclabReport } from './seclab-types.ts';
import { timelineSvg } from './svg-chart.ts';

/** File name of a flood's chart, relative to the report directory. */
function chartName(id: string): string {
  return `charts/${id.replace(/[^a-z0-9.-]/gi, '-')}.svg`;
}

/**
 * Writes `DIR/seclab-report.md`, `DIR/seclab-report.json` and one SVG per flood under
 * `DIR/charts/`. Returns the Markdown path.
 */
export function writeReport(report: SeclabReport, dir: string): string {
  mkdirSync(join(dir, 'charts'), { recursive: true });
  for (const s of report.scenarios) {
    if (!s.phases) continue;
    const chart = chartName(s.id);
    s.phases.chart = chart;
    writeFileSync(
      join(dir, chart),
      timelineSvg({
        title: `${s.id}: good device p99 per second`,
        points: s.phases.timeline,
        attackFromMs: s.phases.attackFromMs,
        attackToMs: s.phases.attackToMs,
        baselineP99: s.phases.before.p99Ms,
        thresholdRatio: DEGRADED_P99_RATIO,
      }),
    );
  }
  writeFileSync(join(dir, 'seclab-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = join(dir, 'seclab-report.md');
  writeFileSync(md, reportMarkdown(report));
  return md;
}
