/**
 * Rules workload: a 30-day shipment at 1-minute sampling (43,200 readings of a vaccine logger,
 * with one 11-hour heat excursion) through every rule of the refrigerated profile with
 * `evaluateAll`, in one pass and replayed reading by reading as a live engine sees them; plus the
 * cost of MKT over the whole series and of the 24 h rolling MKT. Pure CPU, no I/O.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkt, rollingMkt } from '../src/coldchain/mkt.ts';
import { presetProfile } from '../src/coldchain/profiles.ts';
import { temperatureSeries } from '../src/coldchain/temperature-series.ts';
import { generateShipmentReport, reportSignerFromKey } from '../src/reports/index.ts';
import { syntheticReportInput } from '../src/reports/report-input.fixture.ts';
import { evaluateAll } from '../src/rules/evaluate-all.ts';
import type { Reading } from '../src/rules/rule.ts';
import { coldChainRules } from '../src/rules/rule-sets.ts';
import { createRng, gaussian } from '../src/sim/model/rng.ts';
import { nowMs } from './clock.ts';
import type { SummaryRow } from './report.ts';
import { fmtNum, median } from './stats.ts';

export interface RulesOptions {
  readings: number;
  rounds: number;
}

export interface RulesResult {
  readings: number;
  rules: number;
  alarms: string[];
  /** One pass over the whole series (a report, `shipment show`). */
  singlePassRate: number;
  singlePassMs: number;
  /** Reading by reading, each at its arrival time (the live engine's path). */
  liveRate: number;
  liveMs: number;
  mktMs: number;
  rollingMktMs: number;
  mktC: number | null;
  /** Signed 30-day shipment report (PDF and CSV), median ms. */
  reportPdfMs: number;
  reportCsvMs: number;
}

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 6, 0, 0);

/** The shipment: 5 °C ± noise, a compressor cycle, 11 h at ~9.2 °C on day 12, on mains, moving. */
function shipment(n: number): Reading[] {
  const rng = createRng('bench-rules');
  const hot = (m: number) => m >= 12 * 1440 && m < 12 * 1440 + 11 * 60;
  return Array.from({ length: n }, (_, m) => ({
    ts: T0 + m * MIN,
    receivedAt: T0 + m * MIN + 1000,
    data: {
      temp_c: (hot(m) ? 9.2 : 5 + 0.4 * Math.sin((2 * Math.PI * m) / 45)) + gaussian(rng, 0, 0.1),
      rh_pct: 50,
      lat: 52.37 - m * 1e-5,
      lon: 4.89 + m * 1e-5,
      bat_pct: 90,
      power: 'mains',
    },
  }));
}

export function runRules(o: RulesOptions, log: (s: string) => void): RulesResult {
  const profile = presetProfile('refrigerated');
  const readings = shipment(o.readings);
  const single: number[] = [];
  const live: number[] = [];
  const mktTimes: number[] = [];
  const rollTimes: number[] = [];
  let alarms: string[] = [];
  let mktC: number | null = null;
  for (let r = 0; r < o.rounds; r++) {
    let t = nowMs();
    const one = evaluateAll(readings, profile, { mode: 'single', subject: 'bench' });
    single.push(nowMs() - t);
    alarms = one.alarms.map((a) => `${a.rule}${a.state === 'resolved' ? '' : ' (open)'}`);
    t = nowMs();
    evaluateAll(readings, profile, { mode: 'arrival', subject: 'bench' });
    live.push(nowMs() - t);
    const points = temperatureSeries(readings);
    t = nowMs();
    mktC = mkt(points, { maxGapMs: profile.dataGapMaxMs });
    mktTimes.push(nowMs() - t);
    t = nowMs();
    rollingMkt(points, profile.mktWindowMs, { maxGapMs: profile.dataGapMaxMs });
    rollTimes.push(nowMs() - t);
  }
  // Report generation for a 30-day, 1-minute shipment (summary, chart, signature).
  const signer = reportSignerFromKey(generateKeyPairSync('ed25519').privateKey);
  const reportInput = syntheticReportInput();
  const pdfTimes: number[] = [];
  const csvTimes: number[] = [];
  for (let i = 0; i < Math.max(3, o.rounds); i++) {
    let t = nowMs();
    generateShipmentReport(reportInput, 'pdf', signer);
    pdfTimes.push(nowMs() - t);
    t = nowMs();
    generateShipmentReport(reportInput, 'csv', signer);
    csvTimes.push(nowMs() - t);
  }
  const rules = coldChainRules(profile).length;
  const res: RulesResult = {
    readings: readings.length,
    rules,
    alarms,
    singlePassMs: median(single),
    singlePassRate: readings.length / (median(single) / 1000),
    liveMs: median(live),
    liveRate: readings.length / (median(live) / 1000),
    mktMs: median(mktTimes),
    rollingMktMs: median(rollTimes),
    mktC,
    reportPdfMs: median(pdfTimes),
    reportCsvMs: median(csvTimes),
  };
  log(
    `  ${res.rules} rules; one pass: ${fmtNum(res.singlePassRate)} readings/s (${fmtNum(res.singlePassMs, 1)} ms for ${res.readings}); ` +
      `live, reading by reading: ${fmtNum(res.liveRate)} readings/s (${fmtNum(res.liveMs, 1)} ms)`,
  );
  log(
    `  MKT of the 30 days: ${fmtNum(res.mktMs, 2)} ms (${res.mktC?.toFixed(2)} °C); rolling 24 h MKT at every reading: ` +
      `${fmtNum(res.rollingMktMs, 2)} ms; alarms: ${res.alarms.join(', ') || 'none'}`,
  );
  log(`  signed 30-day report: PDF ${fmtNum(res.reportPdfMs, 1)} ms, CSV ${fmtNum(res.reportCsvMs, 1)} ms`);
  return res;
}

/** Informational rows (no target in the brief). */
export function rulesSummaryRows(r: RulesResult): SummaryRow[] {
  return [
    {
      id: 'rules',
      workload: `Rules: ${r.readings} 1-min readings, all ${r.rules} refrigerated-profile rules, one pass`,
      baseline: '-',
      measured: `${fmtNum(r.singlePassRate)} readings/s`,
      result: `${fmtNum(r.singlePassMs, 0)} ms`,
      target: '-',
      status: 'info',
    },
    {
      id: 'rules',
      workload: 'Rules: same, reading by reading at arrival (live engine)',
      baseline: '-',
      measured: `${fmtNum(r.liveRate)} readings/s`,
      result: `${fmtNum(r.liveMs, 0)} ms`,
      target: '-',
      status: 'info',
    },
    {
      id: 'rules',
      workload: `MKT of ${r.readings} readings / rolling 24 h MKT`,
      baseline: '-',
      measured: `${fmtNum(r.mktMs, 2)} ms`,
      result: `${fmtNum(r.rollingMktMs, 2)} ms`,
      target: '-',
      status: 'info',
    },
    {
      id: 'rules',
      workload: 'Signed 30-day shipment report: PDF / CSV',
      baseline: '-',
      measured: `${fmtNum(r.reportPdfMs, 1)} ms`,
      result: `${fmtNum(r.reportCsvMs, 1)} ms`,
      target: '-',
      status: 'info',
    },
  ];
}
