/**
 * The PDF report of a real trip, read as an inspector reads it: a whole Vigil over mutual TLS, a
 * logger that dispatches a 10-day trip and sends its readings over MQTT (a 10-minute excursion,
 * two merged ones, a 6-hour heat excursion, a freeze, a gap filled by late data that disproves a
 * heat alarm, and a real data gap), a shipment created with the CLI with its own alarm policy and
 * names in French and Russian, an acknowledgement and a release with electronic signatures, then
 * `vigil report shipment` and `vigil report verify`. The text is extracted with pdf.js.
 *
 * With VIGIL_SCREENSHOTS_DIR set (`npm run screenshots:report`), pages 1 and 2 are rendered with
 * pdftoppm (Debian's poppler-utils) into report-page1.png and report-page2.png there.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
import { awayFromStepEdge, type EnrolledUser, enrolledUser, totp } from './helpers/browser.ts';
import { closeClient, type Instance, makeEnvelope, send, truckSample, waitFor } from './helpers/instance.ts';
import { pdfPages } from './helpers/pdf-text.ts';
import { dispatchOverMqtt, startTruckInstance } from './helpers/truck-trip.fixture.ts';
import { type InProcessRun, vigilInProcess } from './helpers/vigil-in-process.ts';

const MIN = 60_000;
const STEP = 5 * MIN;
const SAMPLES = 10 * 288; // 10 days at 5-minute sampling
const TOKEN = 'R3P0RT7K';
/** Readings the logger buffered and sent last: they fill a gap inside an above-range stretch. */
const HELD = new Set([2302, 2303, 2304, 2305]);
/** Readings never sent: a real 45-minute data gap. */
const LOST = new Set([2601, 2602, 2603, 2604, 2605, 2606, 2607, 2608]);

/** The trip's temperature at sample `i`: a daily swing and the events above. */
function tempAt(i: number): number {
  if (i === 300 || i === 301) return 9.2; // 10 minutes above
  if (i >= 860 && i <= 862) return 9.0; // merged: 15 min above,
  if (i >= 864 && i <= 866) return 9.4; // 5 min back in range, 15 min above again
  if (i >= 1440 && i < 1512) return 11.5 - ((i * 13) % 5) * 0.04; // a cooling failure: 6 hours
  if (i >= 2000 && i <= 2004) return -1.5; // freeze, 25 minutes
  if (i === 2300 || i === 2301 || i === 2306 || i === 2307) return 9.5; // the held gap between
  // a little sensor noise, so the sensor-fault rules see no flat line
  return Math.round((5 + Math.sin((2 * Math.PI * i) / 288) + (((i * 37) % 7) - 3) * 0.03) * 100) / 100;
}

let inst: Instance;
let bundle: DeviceBundleFiles;
let client: MqttClient;
let operator: EnrolledUser;
let quality: EnrolledUser;
let receiver: EnrolledUser;
let shipmentId = '';
let seq = 0;
// 17 seconds past a minute, so times to the second are visible
const t0 = Math.floor((Date.now() - SAMPLES * STEP - 30 * MIN) / MIN) * MIN + 17_000;
let pages: string[] = [];
let text = '';

function vigil(args: string[]): Promise<InProcessRun> {
  return vigilInProcess(inst.dataDir, args);
}

async function sendSamples(indices: number[]): Promise<void> {
  for (let k = 0; k < indices.length; k += 100) {
    const samples = indices.slice(k, k + 100).map((i) => truckSample(t0 + i * STEP, tempAt(i)));
    await send(client, bundle.info.id, makeEnvelope(bundle, 'telemetry', { samples }, { seq: ++seq }));
  }
}

before(async () => {
  ({ inst, bundle, client } = await startTruckInstance('truck-rpt-01'));
  operator = await enrolledUser(inst, 'olga-ops', 'operator');
  quality = await enrolledUser(inst, 'quinn-qa', 'quality');
  receiver = await enrolledUser(inst, 'rita-recv', 'receiver');
});

after(async () => {
  if (client) await closeClient(client);
  await inst?.destroy();
});

describe('the PDF report of a real 10-day trip', () => {
  it('runs the trip: CLI shipment with its own policy, dispatch, readings, late data, signatures', async () => {
    const created = await vigil([
      'shipment',
      'create',
      '--device',
      'truck-rpt-01',
      '--profile',
      JSON.stringify({ preset: 'refrigerated', heat: { durationMs: 15 * MIN } }),
      '--batch',
      'FLU-2026-118,Influenza vaccine ≥ 15 µg HA/strain,1200,VVM7',
      '--batch',
      'MR-24117,Measles-rubella vaccine,4800',
      '--origin',
      'Entrepôt central, Zürich – Kloten',
      '--destination',
      'Склад № 3, Москва',
      '--warning-above',
      '8:10m',
      '--critical-below=-1:10m',
      '--merge-gap-minutes',
      '12',
      '--json',
    ]);
    assert.equal(created.code, 0, created.err);
    shipmentId = JSON.parse(created.out).id;
    await dispatchOverMqtt(
      { inst, bundle, client },
      { ts: t0, batch: 'LOT-2026-RPT001', token: TOKEN, shipment: shipmentId },
      ++seq,
    );
    const all = Array.from({ length: SAMPLES + 1 }, (_, i) => i).filter((i) => !LOST.has(i));
    await sendSamples(all.filter((i) => !HELD.has(i)));
    const heatAlarms = () => inst.server.alarms.list({ subject: 'truck-rpt-01', rule: 'heat' });
    // the 6-hour excursion, and the one raised across the gap the held readings will fill
    await waitFor('two heat alarms', async () => (await heatAlarms()).length >= 2, 20_000);
    await sendSamples([...HELD]);
    await waitFor(
      'a heat alarm disproved by late data',
      async () => (await heatAlarms()).some((a) => a.disproved),
      20_000,
    );

    // the operator acknowledges the 6-hour heat alarm with an electronic signature
    const long = (await heatAlarms()).find((a) => a.startedAt >= t0 + 1440 * STEP - STEP && !a.disproved);
    assert.ok(long, 'the heat alarm of the long excursion');
    await awayFromStepEdge();
    const ack = await operator.browser.post(`/api/v1/alarms/${encodeURIComponent(long.id)}/ack`, {
      reason: 'Cooling unit restarted by the driver; product within stability data (≤ 25 °C for 72 h).',
      meaning: 'impact assessed',
      password: operator.password,
      totp: totp(operator.secret),
    });
    assert.equal(ack.status, 200, ack.text);
    const delivered = await receiver.browser.post(`/api/v1/shipments/${shipmentId}/deliver`, {
      token: TOKEN,
    });
    assert.equal(delivered.status, 200, delivered.text);
    await awayFromStepEdge();
    const decided = await quality.browser.post(`/api/v1/shipments/${shipmentId}/decision`, {
      state: 'released',
      reason: 'MKT within range; the 6 h excursion at 11.5 °C is covered by the stability data.',
      meaning: 'approved',
      password: quality.password,
      totp: totp(quality.secret),
    });
    assert.equal(decided.status, 200, decided.text);
  });

  it('writes the signed PDF with `vigil report shipment`, and `vigil report verify` accepts it', async () => {
    const out = join(inst.dataDir, `${shipmentId}.pdf`);
    const r = await vigil(['report', 'shipment', shipmentId, '--format', 'pdf', '--out', out]);
    assert.equal(r.code, 0, r.err);
    const v = await vigil([
      'report',
      'verify',
      out,
      '--key',
      join(inst.dataDir, 'pki', 'report-signing.pub'),
    ]);
    assert.equal(v.code, 0, v.out + v.err);
    const code = /verification code: (\S+)/.exec(v.out)?.[1] ?? '';
    assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    const pdf = readFileSync(out);
    pages = await pdfPages(pdf);
    text = pages.join('\n').replace(/\s+/g, ' ').normalize('NFKC');
    assert.ok(text.includes(code), 'the code printed on the page');
    const dir = process.env.VIGIL_SCREENSHOTS_DIR;
    if (dir) {
      mkdirSync(resolve(dir), { recursive: true });
      for (const page of [1, 2]) {
        execFileSync('pdftoppm', [
          '-png',
          '-r',
          '150',
          '-f',
          `${page}`,
          '-l',
          `${page}`,
          '-singlefile',
          out,
          join(resolve(dir), `report-page${page}`),
        ]);
      }
    }
  });

  it('has no "?" glyph: names, units and symbols are drawn as typed', () => {
    assert.ok(!text.includes('?'), text.slice(Math.max(0, text.indexOf('?') - 80), text.indexOf('?') + 20));
    for (const s of [
      'Entrepôt central, Zürich – Kloten',
      'Склад № 3, Москва',
      'Influenza vaccine ≥ 15 µg HA/strain',
      '(≤ 25 °C for 72 h)',
      '°C',
    ]) {
      assert.ok(text.includes(s.normalize('NFKC')), `missing: ${s}`);
    }
  });

  it('prints no epoch milliseconds anywhere', () => {
    // A time in epoch ms (2020s: 16…–19… with 13 digits) standing as a number of its own; digit
    // runs inside the printed SHA-256 and signature are hex, bordered by letters.
    assert.doesNotMatch(text, /(?<![\w.])1[6-9]\d{11}(?![\w.])/);
  });

  it('gives every excursion its start and end to the second, and a zoomed chart', () => {
    const start = (i: number) => new Date(t0 + i * STEP).toISOString().replace('T', ' ').slice(0, 19);
    for (const i of [300, 860, 1440, 2000, 2300, 2306])
      assert.ok(text.includes(start(i)), `excursion at ${start(i)}`);
    assert.match(text, /E1\s+above\s+\d{4}-\d\d-\d\d \d\d:\d\d:17\s+\d{4}-\d\d-\d\d \d\d:\d\d:17\s+10 min/);
    assert.ok(text.includes('2 parts'), 'the merged excursion');
    for (let e = 1; e <= 6; e++) assert.ok(text.includes(`E${e} in detail`), `E${e} in detail`);
  });

  it('shows the disproved alarm, the signatures, the overrides and the alarm count in words', () => {
    for (const s of [
      'disproved',
      'Readings that arrived later show',
      'ACKNOWLEDGED WITH ELECTRONIC SIGNATURE',
      'SHIPMENT OVERRIDES',
      'mergeGapMinutes',
      'Quality decision: released by',
    ]) {
      assert.ok(text.includes(s), `missing: ${s}`);
    }
    assert.match(text, /\d+ alarms \(\d+ critical, \d disproved\), \d+ not acknowledged\./);
  });
});
