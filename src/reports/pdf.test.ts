import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { pdfText } from '../../test/helpers/pdf-text.ts';
import { chartSegments, niceStep, timeTicks } from './chart-scale.ts';
import { renderShipmentPdf } from './pdf.ts';
import { detailWindow, MAX_DETAIL_CHARTS } from './pdf-excursions.ts';
import { hasUndrawable, pdfSafe } from './pdf-text.ts';
import { eventfulReportInput, syntheticReportInput } from './report-input.fixture.ts';
import { verificationCode } from './verification-code.ts';

describe('PDF shipment report', () => {
  const input = syntheticReportInput();
  const pdf = renderShipmentPdf(input, { signingKey: 'SHA256:test-key' });
  let text = '';
  before(async () => {
    text = await pdfText(pdf);
  });

  it('is a PDF ending with %%EOF', () => {
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.equal(pdf.subarray(-6).toString('latin1'), '%%EOF\n');
  });

  it('shows the verification code on the page, in the info dictionary and in every footer', () => {
    const code = verificationCode(input);
    assert.ok(text.includes(code), 'code in the page text');
    const pages = Number(/\/Type \/Pages\n\/Count (\d+)/.exec(pdf.toString('latin1'))?.[1]);
    assert.ok(pages >= 2);
    assert.equal(text.split(`verification code ${code}`).length - 1, pages);
    assert.ok(pdf.toString('latin1').includes(`(${code})`));
  });

  it('shows the facts, the summary, the excursion, the e-signature, custody and proof of delivery', () => {
    for (const s of [
      'Shipment temperature report',
      'SHP-2026-0042',
      'Mean kinetic temp.'.toUpperCase(),
      `${(input.summary.mktC as number).toFixed(2)} °C`,
      'Time out of range'.toUpperCase(),
      '11 h 18 min',
      'Excursions',
      '2026-11-14 08:45:00',
      'ACKNOWLEDGED WITH ELECTRONIC SIGNATURE',
      'Signed by qa.martin (Claire Martin)',
      'Reviewed: product impact to be assessed at receipt',
      'Chain of custody',
      'shipment.dispatch',
      'Proof of delivery',
      'r.ndiaye (receiver)',
      '14.69281, -17.44671',
      'Quality decision',
      'SHA256:test-key',
    ]) {
      assert.ok(text.includes(s), `missing: ${s}`);
    }
  });

  it('states the alarm tiers, merged excursions and a disproved alarm with its reason', async () => {
    for (const s of [
      'WARNING TIER',
      'above 8 °C for 15 min, or below 2 °C for 5 min',
      'CRITICAL TIER',
      'SHIPMENT OVERRIDES',
      'none (preset defaults)',
      'heat (regulatory tier)',
    ]) {
      assert.ok(text.includes(s), `missing: ${s}`);
    }
    const first = input.summary.excursions[0];
    assert.ok(first);
    const merged = renderShipmentPdf({
      ...input,
      summary: { ...input.summary, excursions: [{ ...first, parts: 3 }] },
      alarms: input.alarms.map((a) =>
        a.rule === 'heat'
          ? { ...a, disproved: { at: input.generatedAt, reason: 'back in range at 09:05' } }
          : a,
      ),
    });
    const t = await pdfText(merged);
    for (const s of [
      'MERGED',
      '3 parts',
      'disproved',
      'Disproved 2026-12-02 12:00:00 UTC: back in range at 09:05',
    ]) {
      assert.ok(t.includes(s), `missing: ${s}`);
    }
  });

  it('is deterministic and dates itself from generatedAt, not the clock', () => {
    assert.ok(renderShipmentPdf(input, { signingKey: 'SHA256:test-key' }).equals(pdf));
    assert.match(pdf.toString('latin1'), /\(D:20261202120000Z\)/);
    const later = renderShipmentPdf({ ...input, generatedAt: input.generatedAt + 1000 });
    assert.equal(later.equals(pdf), false);
  });

  it('renders a shipment with no readings, alarms or delivery', async () => {
    const empty = renderShipmentPdf({
      ...input,
      shipment: {
        ...input.shipment,
        state: 'planned',
        dispatch: undefined,
        delivery: undefined,
        decision: undefined,
      },
      readings: [],
      summary: {
        ...input.summary,
        readingCount: 0,
        firstTs: null,
        lastTs: null,
        minC: null,
        maxC: null,
        mktC: null,
        excursions: [],
        gaps: [],
        timeAboveMs: 0,
        timeBelowMs: 0,
        observedMs: 0,
      },
      alarms: [],
      custody: [],
    });
    const t = await pdfText(empty);
    assert.ok(t.includes('No temperature readings recorded for this shipment.'));
    assert.ok(t.includes('No alarms were raised for this shipment.'));
    assert.ok(t.includes('The shipment has not been delivered'));
  });
});

describe('PDF report text, as a PDF reader extracts it', () => {
  const input = eventfulReportInput();
  const pdf = renderShipmentPdf(input, { signingKey: 'SHA256:test-key' });
  let text = '';
  before(async () => {
    // one space for each run of white space (lines wrap), and NFKC as pdf.js normalises
    // compatibility characters on extraction (µ MICRO SIGN comes back as μ GREEK SMALL LETTER MU)
    text = (await pdfText(pdf)).replace(/\s+/g, ' ').normalize('NFKC');
  });
  const has = (s: string) => text.includes(s.normalize('NFKC'));

  it('draws every character people typed and every symbol it prints: no "?" anywhere', () => {
    // nothing in the input or the layout is a question mark: any "?" is a glyph the font lacked
    assert.ok(!text.includes('?'), text.slice(Math.max(0, text.indexOf('?') - 80), text.indexOf('?') + 20));
    assert.ok(!text.includes('\uFFFD'));
    for (const s of [
      'Zoë Łukasiewicz',
      'Entrepôt central, Zürich – Kloten',
      'Склад № 3, Москва',
      'Influenza vaccine ≥ 15 µg HA/strain',
      'µ-LOT-09',
      '(≤ 25 °C, ≥ −0.5 °C)',
      'probe placement confirmed — product',
      'lowest −1.2 °C',
      '°C',
    ]) {
      assert.ok(has(s), `missing: ${s}`);
    }
  });

  it('shows a character its font cannot draw as its code point, and says so', async () => {
    // 山田 has no glyph in DejaVu; U+202E (right-to-left override) must not reorder the page
    assert.ok(has('by [U+5C71][U+7530][U+592A][U+90CE]'), 'CJK as code points');
    assert.ok(has('qa.[U+202E]evil'), 'bidi override shown, not obeyed');
    assert.ok(has('shown as their code point'), 'the note in the verification block');
    assert.ok(hasUndrawable('山'));
    assert.ok(!hasUndrawable('Zoë Łukasiewicz ≥ −0.5 °C µg – ·'));
    const plain = await pdfText(renderShipmentPdf(syntheticReportInput({ days: 2 })));
    assert.ok(!plain.includes('code point'));
  });

  it('prints no epoch milliseconds: alarm ids become alarm numbers, epoch values ISO times', () => {
    assert.doesNotMatch(text, /\d{13}/);
    assert.ok(has('alarm=A4 (heat) since=2026-11-10T16:00:00.000Z'), 'custody detail made readable');
  });

  it('gives excursion times to the second, in the table and over each detail chart', () => {
    assert.match(text, /E1\s+above\s+2026-11-05 10:00:17\s+2026-11-05 10:05:47\s+5 min 30 s/);
    assert.ok(has('above the range 2026-11-05 10:00:17 – 10:05:47 UTC (5 min 30 s)'));
    assert.ok(has('Started 2026-11-05 10:00:17 UTC'));
  });

  it('draws a detail chart zoomed on each excursion, with minute ticks for a short one', () => {
    const n = input.summary.excursions.length;
    assert.ok(n >= 4 && n <= MAX_DETAIL_CHARTS);
    for (let i = 1; i <= n; i++) assert.ok(has(`E${i} in detail`), `E${i} in detail`);
    const e = input.summary.excursions[0] as (typeof input.summary.excursions)[number];
    const w = detailWindow(e, { from: 0, to: Number.MAX_SAFE_INTEGER });
    // the 5½-minute excursion fills a good part of its chart instead of a sliver of an hour
    assert.ok((e.end - e.start) / (w.to - w.from) > 0.15);
    assert.equal(w.from, e.start - 15 * 60_000);
    assert.match(text, /09:50\s+09:55\s+10:00\s+10:05/);
    // a window is kept inside the trip
    assert.deepEqual(
      detailWindow({ start: 100 * 60_000, end: 130 * 60_000 }, { from: 90 * 60_000, to: 1e9 }),
      {
        from: 90 * 60_000,
        to: 145 * 60_000,
      },
    );
  });

  it('labels alarms raised minutes apart once ("A2–A4"), not on top of each other', () => {
    assert.ok(has('A2–A4'));
  });

  it('says "7 alarms (4 critical, 1 disproved), 4 not acknowledged" and "0 alarms" when there are none', async () => {
    assert.ok(has('7 alarms (4 critical, 1 disproved), 4 not acknowledged.'));
    const none = await pdfText(renderShipmentPdf({ ...input, alarms: [] }));
    assert.ok(none.includes('4 excursions, 12 h 34 min out of range'));
    assert.match(none, /\b0 alarms\. MKT/);
    assert.ok(!none.includes('acknowledged.'), 'no "all acknowledged" for zero alarms');
    assert.ok(none.includes('none raised'));
  });

  it('prints the verification code in Crockford base32, with no I, L, O or U', () => {
    const code = verificationCode(input);
    assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    assert.ok(has(code));
  });

  it('is still deterministic with embedded font subsets', () => {
    assert.ok(renderShipmentPdf(input, { signingKey: 'SHA256:test-key' }).equals(pdf));
  });
});

describe('chart helpers', () => {
  it('keep first, lowest, highest and last reading per column and break at data gaps', () => {
    const pts = [
      { ts: 0, tempC: 5 },
      { ts: 1, tempC: 9 },
      { ts: 2, tempC: 1 },
      { ts: 3, tempC: 6 },
      { ts: 4, tempC: 7 },
      { ts: 100, tempC: 3 }, // after a gap longer than 50
    ];
    const segs = chartSegments(pts, 0, 100, 10, 50);
    assert.deepEqual(segs, [[pts[0], pts[1], pts[2], pts[4]], [pts[5]]]);
    assert.deepEqual(chartSegments(pts, 0, 100, 1000, 50), [pts.slice(0, 5), [pts[5]]]);
  });

  it('reduce 43 200 readings to at most four points per column', () => {
    const pts = Array.from({ length: 43_200 }, (_, i) => ({ ts: i * 60_000, tempC: Math.sin(i) }));
    const segs = chartSegments(pts, 0, 43_199 * 60_000, 960, 30 * 60_000);
    assert.equal(segs.length, 1);
    assert.ok((segs[0]?.length as number) <= 4 * 960);
  });

  it('pick nice temperature steps and UTC-aligned time ticks', () => {
    assert.equal(niceStep(17, 6), 5);
    assert.equal(niceStep(3, 6), 0.5);
    const day = 86_400_000;
    const from = Date.UTC(2026, 10, 2, 6);
    const { step, ticks } = timeTicks(from, from + 30 * day, 8);
    assert.equal(step, 5 * day);
    assert.ok(ticks.every((t) => t % day === 0));
    assert.ok(ticks.length <= 8);
  });

  it('pdfSafe keeps what the font draws, shows the rest as code points, never "?"', () => {
    assert.equal(pdfSafe('2–8 °C “ok” € −0.5 ≥ ≤ µ ő→x Ж'), '2–8 °C “ok” € −0.5 ≥ ≤ µ ő→x Ж');
    assert.equal(pdfSafe('a\tb\nc\u0007d'), 'a b\nc d');
    assert.equal(pdfSafe('日本'), '[U+65E5][U+672C]');
    assert.equal(pdfSafe('Ａ\u202Eb'), 'A[U+202E]b');
  });
});
