/**
 * The CSV shipment report: RFC 4180 records (CRLF line ends; a field with a comma, quote, CR or LF
 * is quoted, quotes doubled), in sections. Each section starts with a `# name` line, then a header
 * record, then its records, and ends with an empty line; the readings come last. The signature
 * line `# vigil-report-signature: ...` is appended by signing.ts.
 *
 * Text that people typed (product names, reasons, custody details) is guarded against formula
 * injection: a spreadsheet would run a field starting with `=`, `+`, `-`, `@`, TAB or CR as a
 * formula, so such text gets a leading `'` (OWASP "CSV Injection"). Numbers are written as numbers.
 */

import { profileOverrides } from '../coldchain/policy-overrides.ts';
import { durationText, isoUtc, minutes } from './format.ts';
import { backfillCount, budgetUse, limitAlarmText, rangeText, tierText } from './report-facts.ts';
import { REPORT_FORMAT, type ShipmentReportInput } from './report-model.ts';
import { verificationCode } from './verification-code.ts';

/** Options of {@link renderShipmentCsv}. */
export interface CsvReportOptions {
  /** Fingerprint of the key that will sign the file, printed in the header section. */
  readonly signingKey?: string;
  /** The newest signed audit checkpoint at generation (src/audit), as one line. */
  readonly auditCheckpoint?: string;
}

/** A string written exactly as given (system values: times, codes, fingerprints). */
interface Raw {
  readonly raw: string;
}

type Cell = string | number | boolean | null | undefined | Raw;

const raw = (s: string): Raw => ({ raw: s });
const time = (ts: number | undefined): Cell => (ts === undefined ? '' : raw(isoUtc(ts)));

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field per RFC 4180 §2, with the formula guard for text. */
export function csvField(cell: Cell): string {
  let s: string;
  if (cell === null || cell === undefined) s = '';
  else if (typeof cell === 'number') s = Number.isFinite(cell) ? String(cell) : '';
  else if (typeof cell === 'boolean') s = cell ? 'true' : 'false';
  else if (typeof cell === 'string') s = FORMULA_START.test(cell) ? `'${cell}` : cell;
  else s = cell.raw;
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One record with its CRLF. */
export function csvRecord(cells: readonly Cell[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}

/** The unsigned CSV report of one shipment. */
export function renderShipmentCsv(input: ShipmentReportInput, options: CsvReportOptions = {}): Buffer {
  const { shipment: s, summary: sum } = input;
  const p = s.profile;
  const out: string[] = [];
  const rec = (...cells: Cell[]) => out.push(csvRecord(cells));
  const section = (name: string, header: readonly string[]) => {
    out.push(`# ${name}\r\n`);
    rec(...header.map(raw));
  };
  const end = () => out.push('\r\n');

  out.push('# Vigil shipment temperature report\r\n');
  section('report', ['field', 'value']);
  rec(raw('format'), raw(REPORT_FORMAT));
  rec(raw('shipment_id'), s.id);
  rec(raw('state'), s.state);
  rec(raw('generated_at'), time(input.generatedAt));
  rec(raw('generated_by'), input.generatedBy);
  rec(raw('verification_code'), raw(verificationCode(input)));
  if (options.signingKey) rec(raw('signing_key'), raw(options.signingKey));
  if (options.auditCheckpoint) rec(raw('audit_checkpoint'), options.auditCheckpoint);
  rec(raw('device_id'), s.deviceId);
  rec(raw('origin'), s.origin);
  rec(raw('destination'), s.destination);
  rec(raw('profile'), p.name);
  rec(raw('profile_preset'), p.preset);
  rec(raw('range_lower_c'), p.lowerC);
  rec(raw('range_upper_c'), p.upperC);
  rec(raw('heat_alarm'), raw(limitAlarmText('above', p.heat)));
  rec(raw('freeze_alarm'), raw(p.freezeSensitive ? limitAlarmText('below', p.freeze) : 'none'));
  rec(raw('warning_alarm'), raw(tierText(p.tiers.warning)));
  rec(raw('critical_alarm'), raw(tierText(p.tiers.critical)));
  rec(raw('hysteresis_c'), p.hysteresisC);
  rec(raw('merge_gap_min'), p.mergeGapMinutes);
  rec(raw('policy_overrides'), raw(profileOverrides(p).join(' ')));
  rec(raw('data_gap_limit_min'), Number(minutes(p.dataGapMaxMs)));
  rec(raw('dispatch_at'), time(s.dispatch?.at));
  rec(raw('dispatch_batch_id'), s.dispatch?.batchId ?? '');
  rec(raw('delivery_at'), time(s.delivery?.at));
  rec(raw('decision'), s.decision?.state ?? '');
  rec(raw('decision_by'), s.decision?.by ?? '');
  rec(raw('decision_at'), time(s.decision?.at));
  rec(raw('decision_reason'), s.decision?.reason ?? '');
  end();

  section('batches', ['lot', 'product', 'quantity', 'vvm']);
  for (const b of s.batches) rec(b.lot, b.product, b.quantity, b.vvm ?? '');
  end();

  section('summary', ['metric', 'value']);
  rec(raw('range'), raw(rangeText(p)));
  rec(raw('reading_count'), sum.readingCount);
  rec(raw('backfilled_readings'), backfillCount(input));
  rec(raw('first_reading_at'), time(sum.firstTs ?? undefined));
  rec(raw('last_reading_at'), time(sum.lastTs ?? undefined));
  rec(raw('min_c'), sum.minC);
  rec(raw('max_c'), sum.maxC);
  rec(raw('mkt_c'), sum.mktC);
  rec(raw('time_above_min'), Number(minutes(sum.timeAboveMs)));
  rec(raw('time_below_min'), Number(minutes(sum.timeBelowMs)));
  rec(raw('time_out_of_range_min'), Number(minutes(sum.timeAboveMs + sum.timeBelowMs)));
  rec(raw('time_out_of_range'), raw(durationText(sum.timeAboveMs + sum.timeBelowMs)));
  rec(raw('observed_min'), Number(minutes(sum.observedMs)));
  rec(raw('excursion_count'), sum.excursions.length);
  rec(raw('data_gap_count'), sum.gaps.length);
  rec(raw('alarm_count'), input.alarms.length);
  end();

  section('budgets', ['name', 'kind', 'limit_c', 'inclusive', 'budget_min', 'used_min', 'exceeded']);
  for (const u of budgetUse(input)) {
    rec(
      u.budget.name,
      u.budget.kind,
      u.budget.limitC,
      u.budget.inclusive,
      Number(minutes(u.budget.budgetMs)),
      Number(minutes(u.usedMs)),
      u.exceeded,
    );
  }
  end();

  // merged_parts: excursions closer than the merge gap counted as this one (1: none merged)
  section('excursions', ['n', 'kind', 'start', 'end', 'duration_min', 'peak_c', 'ongoing', 'merged_parts']);
  sum.excursions.forEach((e, i) => {
    rec(
      i + 1,
      e.kind,
      time(e.start),
      time(e.end),
      Number(minutes(e.durationMs)),
      e.peakC,
      e.ongoing,
      e.parts,
    );
  });
  end();

  section('data_gaps', ['start', 'end', 'duration_min']);
  for (const g of sum.gaps) rec(time(g.start), time(g.end), Number(minutes(g.durationMs)));
  end();

  section('alarms', [
    'id',
    'rule',
    'severity',
    'state',
    'started_at',
    'raised_at',
    'resolved_at',
    'detected_late',
    'message',
    'ack_by',
    'ack_at',
    'ack_meaning',
    'ack_reason',
    'tier',
    'disproved_at',
    'disproved_reason',
  ]);
  for (const a of input.alarms) {
    rec(
      a.id,
      a.rule,
      a.severity,
      a.state,
      time(a.startedAt),
      time(a.raisedAt),
      time(a.resolvedAt),
      a.detectedLate,
      a.message,
      a.ack?.by ?? '',
      time(a.ack?.at),
      a.ack?.meaning ?? '',
      a.ack?.reason ?? '',
      a.tier ?? '',
      time(a.disproved?.at),
      a.disproved?.reason ?? '',
    );
  }
  end();

  section('custody', ['at', 'actor', 'action', 'detail']);
  for (const c of input.custody) rec(time(c.at), c.actor, c.action, c.detail);
  end();

  section('proof_of_delivery', ['field', 'value']);
  if (s.delivery) {
    rec(raw('delivered_at'), time(s.delivery.at));
    rec(raw('received_by'), s.delivery.by);
    rec(raw('lat'), s.delivery.lat ?? null);
    rec(raw('lon'), s.delivery.lon ?? null);
  } else {
    rec(raw('delivered'), false);
  }
  end();

  section('readings', ['ts', 'temp_c', 'backfill']);
  for (const r of input.readings) out.push(`${isoUtc(r.ts)},${csvField(r.tempC)},${r.backfill}\r\n`);
  return Buffer.from(out.join(''), 'utf8');
}
