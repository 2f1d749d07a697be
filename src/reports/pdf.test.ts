import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { renderShipmentPdf } from './pdf.ts';
import { chartSegments, niceStep, timeTicks } from './pdf-chart.ts';
import { pdfSafe } from './pdf-style.ts';
import { syntheticReportInput } from './report-input.fixture.ts';
import { verificationCode } from './verification-code.ts';

/**
 * The text a PDF shows, from pdfkit's content streams: each stream is deflated, and the standard
 * fonts write strings as hex in `[<..> kern <..>] TJ` arrays, so the hex pieces are decoded
 * (WinAnsi, which is Latin-1 for the characters tested here) and the kerning numbers dropped.
 */
function pdfText(pdf: Buffer): string {
  const out: string[] = [];
  const raw = pdf.toString('latin1');
  const re = /stream\n/g;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('\nendstream', start);
    let body: Buffer;
    try {
      body = inflateSync(pdf.subarray(start, end));
    } catch {
      continue; // not a deflated stream
    }
    for (const tj of body.toString('latin1').matchAll(/\[((?:<[0-9a-f]*>|\s|-?[\d.]+)*)\]\s*TJ/g)) {
      const hex = [...(tj[1] as string).matchAll(/<([0-9a-f]*)>/g)].map((h) => h[1]).join('');
      out.push(Buffer.from(hex, 'hex').toString('latin1'));
    }
  }
  return out.join('\n');
}

describe('PDF shipment report', () => {
  const input = syntheticReportInput();
  const pdf = renderShipmentPdf(input, { signingKey: 'SHA256:test-key' });
  const text = pdfText(pdf);

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
      '2026-11-14 08:45 UTC',
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

  it('states the alarm tiers, merged excursions and a disproved alarm with its reason', () => {
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
    const t = pdfText(merged);
    for (const s of [
      'MERGED',
      '3 parts',
      'disproved',
      'Disproved 2026-12-02 12:00 UTC: back in range at 09:05',
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

  it('renders a shipment with no readings, alarms or delivery', () => {
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
    const t = pdfText(empty);
    assert.ok(t.includes('No temperature readings recorded for this shipment.'));
    assert.ok(t.includes('No alarms were raised for this shipment.'));
    assert.ok(t.includes('The shipment has not been delivered'));
  });

  it('draws text it cannot encode as ? instead of corrupting it', () => {
    const t = pdfText(
      renderShipmentPdf({ ...input, generatedBy: 'Zoë Łukasiewicz 日本', alarms: [], custody: [] }),
    );
    assert.ok(t.includes('Zoë Lukasiewicz ??'));
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

  it('pdfSafe keeps WinAnsi text and replaces the rest', () => {
    assert.equal(pdfSafe('2–8 °C “ok” €'), '2–8 °C “ok” €');
    assert.equal(pdfSafe('a\tb\nc'), 'a b\nc');
    assert.equal(pdfSafe('ő→x'), 'o?x');
  });
});
