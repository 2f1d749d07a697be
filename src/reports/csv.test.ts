import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvField, csvRecord, renderShipmentCsv } from './csv.ts';
import { syntheticReportInput } from './report-input.fixture.ts';
import { verificationCode } from './verification-code.ts';

const input = syntheticReportInput({ days: 2, stepMs: 5 * 60_000 });

/** A minimal RFC 4180 parser (quoted fields, doubled quotes, CRLF records) to read the output back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('CSV fields (RFC 4180)', () => {
  it('quotes fields with a comma, quote, CR or LF and doubles the quotes', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\rhere'), '"cr\rhere"');
    assert.equal(csvRecord(['a', 1, true, null, undefined]), 'a,1,true,,\r\n');
  });

  it('guards typed text against spreadsheet formulas but writes negative numbers as numbers', () => {
    assert.equal(csvField('=HYPERLINK("http://x")'), '"\'=HYPERLINK(""http://x"")"');
    assert.equal(csvField('+1'), "'+1");
    assert.equal(csvField('-cmd'), "'-cmd");
    assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvField(-17.5), '-17.5');
    assert.equal(csvField(Number.NaN), '');
  });
});

describe('CSV shipment report', () => {
  const text = renderShipmentCsv(input, { signingKey: 'SHA256:abc' }).toString('utf8');
  const rows = parseCsv(text);
  const section = (name: string): string[][] => {
    const at = rows.findIndex((r) => r.length === 1 && r[0] === `# ${name}`);
    assert.ok(at >= 0, `section ${name}`);
    const end = rows.findIndex((r, i) => i > at && r.length === 1 && r[0] === '');
    return rows.slice(at + 1, end < 0 ? undefined : end);
  };
  const kv = (name: string) => new Map(section(name).map((r) => [r[0], r[1]]));

  it('uses CRLF line ends only and has the sections in order, readings last', () => {
    assert.equal(text.replaceAll('\r\n', '').includes('\n'), false);
    const order = rows.filter((r) => r.length === 1 && r[0]?.startsWith('# ')).map((r) => r[0]);
    assert.deepEqual(order, [
      '# Vigil shipment temperature report',
      '# report',
      '# batches',
      '# summary',
      '# budgets',
      '# excursions',
      '# data_gaps',
      '# alarms',
      '# custody',
      '# proof_of_delivery',
      '# readings',
    ]);
  });

  it('carries the header facts, the verification code and the signing key', () => {
    const r = kv('report');
    assert.equal(r.get('shipment_id'), 'SHP-2026-0042');
    assert.equal(r.get('verification_code'), verificationCode(input));
    assert.equal(r.get('signing_key'), 'SHA256:abc');
    assert.equal(r.get('origin'), 'Central vaccine store, Lyon');
    assert.equal(r.get('decision'), 'released');
  });

  it('gives MKT as mkt_c and time out of range in minutes', () => {
    const s = kv('summary');
    // the one MKT rounding: 0.01 °C, as the CLI, the API and the PDF show it
    assert.equal(s.get('mkt_c'), String(input.summary.mktC));
    assert.equal(
      s.get('mkt_c'),
      (input.summary.mktC as number).toFixed(2).replace(/0+$/, '').replace(/\.$/, ''),
    );
    assert.equal(Number(s.get('time_above_min')), input.summary.timeAboveMs / 60_000);
    assert.equal(Number(s.get('reading_count')), input.readings.length);
  });

  it('lists excursions, alarms with their e-signatures, custody and proof of delivery', () => {
    const exc = section('excursions');
    assert.deepEqual(exc[0], [
      'n',
      'kind',
      'start',
      'end',
      'duration_min',
      'peak_c',
      'ongoing',
      'merged_parts',
    ]);
    assert.equal(exc.length - 1, input.summary.excursions.length);
    const alarms = section('alarms');
    const heat = alarms.find((r) => r[1] === 'heat');
    assert.ok(heat);
    assert.deepEqual(heat.slice(9), [
      'qa.martin (Claire Martin)',
      new Date(input.alarms[0]?.ack?.at as number).toISOString(),
      'Reviewed: product impact to be assessed at receipt',
      'Cooling unit fault reported by the driver; unit restarted, temperature recovering.',
      'regulatory',
      '',
      '',
    ]);
    assert.equal(section('custody').length - 1, input.custody.length);
    assert.equal(kv('proof_of_delivery').get('received_by'), 'r.ndiaye (receiver)');
  });

  it('writes every reading with its own timestamp and backfill flag', () => {
    const readings = rows.slice(rows.findIndex((r) => r[0] === '# readings') + 2);
    assert.equal(readings.length, input.readings.length);
    const r0 = input.readings[0];
    assert.ok(r0);
    assert.deepEqual(readings[0], [new Date(r0.ts).toISOString(), String(r0.tempC), 'false']);
  });

  it('writes every time with one precision: ISO 8601 UTC with milliseconds', () => {
    const times = text.match(/\d{4}-\d\d-\d\dT[0-9:.]+Z/g) ?? [];
    assert.ok(times.length > 100);
    for (const t of times) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('states the alarm policy with this shipment’s overrides, and disproved alarms with their reason', () => {
    const r = kv('report');
    assert.equal(r.get('warning_alarm'), 'above 8 °C for 15 min, or below 2 °C for 5 min');
    assert.equal(r.get('critical_alarm'), 'above 8 °C for 1 h, or at or below -0.5 °C for 5 min');
    assert.equal(r.get('merge_gap_min'), '10');
    assert.equal(r.get('policy_overrides'), '');
    const disproved = renderShipmentCsv({
      ...input,
      alarms: [
        {
          ...(input.alarms[0] as (typeof input.alarms)[number]),
          disproved: { at: 1_800_000_000_000, reason: 'back in range' },
        },
      ],
    }).toString('utf8');
    const row = parseCsv(disproved).find((x) => x[1] === 'heat');
    assert.deepEqual(row?.slice(-2), ['2027-01-15T08:00:00.000Z', 'back in range']);
  });
});
