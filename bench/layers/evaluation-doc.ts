/**
 * docs/security-evaluation.md, generated from one layer evaluation and one seclab report: the
 * machine, the tables, the charts and the conclusions in plain words.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { LAYERS, type Layer, PROPERTIES, type SeclabReport } from '../../src/seclab/seclab-types.ts';
import { barChartSvg } from '../../src/seclab/svg-chart.ts';
import type { MachineInfo } from '../machine.ts';
import { ciaMatrix, LAYER_TITLES, layerCost, type MatrixRow } from './cia-matrix.ts';
import type { LayerRow, LayersResult } from './layers.ts';

export interface EvaluationRun {
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  loadBefore: number[];
  loadAfter: number[];
  niceness: number;
  layers: LayersResult;
  seclab: SeclabReport | null;
  seclabFile: string | null;
}

const f0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a');

function costTable(rows: readonly LayerRow[], pacedRate: number): string[] {
  const base = rows[0];
  const ratio = (a: number, b: number | undefined) => (b ? x(a / b) : 'n/a');
  return [
    `| configuration | adds | throughput, msgs/s (x plain) | publish -> PUBACK p50 / p99 at ${pacedRate}/s, ms | server CPU per 1,000 msgs at ${pacedRate}/s, ms (x plain) | memory per connection, KiB | TLS handshake full / resumed, ms | bytes per reading up + down (x plain) | connection setup bytes |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const hs = r.handshake ? `${f2(r.handshake.fullMs)} / ${f2(r.handshake.resumedMs)}` : 'n/a (no TLS)';
      const bytes = r.wire.upBytesPerReading + r.wire.downBytesPerReading;
      const baseBytes = base ? base.wire.upBytesPerReading + base.wire.downBytesPerReading : Number.NaN;
      return [
        '',
        r.config.title,
        r.config.adds,
        r.max
          ? `${f0(r.max.rate)} (${ratio(r.max.rate, base?.max?.rate)})`
          : 'capped per device (100/s by default)',
        `${f2(r.paced.p50Ms)} / ${f1(r.paced.p99Ms)}`,
        `${f0(r.paced.cpuMsPer1000)} (${ratio(r.paced.cpuMsPer1000, base?.paced.cpuMsPer1000)})`,
        f1(r.memory.perConnectionKiB),
        hs,
        `${f0(r.wire.upBytesPerReading)} + ${f0(r.wire.downBytesPerReading)} (${x(bytes / baseBytes)})`,
        f0(r.wire.setupBytes),
        '',
      ]
        .join(' | ')
        .trim();
    }),
  ];
}

/** `storeRatio`: the encrypted store's readings/s against the plain one (W5), SQLCipher's own cost. */
function matrixTable(m: readonly MatrixRow[], storeRatio: number): string[] {
  const cell = (c: MatrixRow['cells'][keyof MatrixRow['cells']]) => {
    if (c.scenarios.length === 0) return '-';
    const bad = c.scenarios.filter((s) => s.verdict !== 'refused');
    return `${c.scenarios.map((s) => `\`${s.id}\``).join(', ')}${bad.length ? ` (${bad.map((s) => `${s.id}: ${s.verdict}`).join('; ')})` : ''}`;
  };
  const cost = (r: MatrixRow) => {
    if (!r.cost) return 'not separable: always on';
    const figures = `throughput ${x(r.cost.throughput)}, CPU ${x(r.cost.cpu)}, p99 ${x(r.cost.p99)}, bytes ${x(r.cost.bytes)}, memory ${x(r.cost.memory)}`;
    // The pipeline row against the AEAD lab row adds the durable store and ingest, not only
    // the encryption: the encryption's own price is the store benchmark's.
    return r.layer === 'sqlcipher'
      ? `the store alone (W5): readings/s ${x(storeRatio)}; the Vigil pipeline against the AEAD lab row: ${figures}`
      : figures;
  };
  return [
    `| layer | ${PROPERTIES.join(' | ')} | cost (x the configuration without it) |`,
    `|---|${PROPERTIES.map(() => '---').join('|')}|---|`,
    ...m.map(
      (r) =>
        `| ${LAYER_TITLES[r.layer]} | ${PROPERTIES.map((p) => cell(r.cells[p])).join(' | ')} | ${cost(r)} |`,
    ),
  ];
}

/** `costs 1.38x`, or `no measurable extra cost` when the ratio is within noise of 1 or below. */
function extra(ratio: number, what: string): string {
  if (!Number.isFinite(ratio)) return `${what}: not measured`;
  return ratio <= 1.05 ? `${what}: no measurable extra cost (${x(ratio)})` : `${what} ${x(ratio)}`;
}

/** The conclusions, from the numbers (nothing here is typed in by hand). */
function conclusions(run: EvaluationRun, matrix: readonly MatrixRow[]): string[] {
  const rows = run.layers.rows;
  // Layers whose row adds that layer alone (the Vigil pipeline row adds more than SQLCipher).
  const isolated = matrix.filter((r) => r.cost && Number.isFinite(r.cost.cpu) && r.layer !== 'sqlcipher');
  const byCpu = [...isolated].sort((a, b) => (b.cost?.cpu ?? 0) - (a.cost?.cpu ?? 0));
  const dearest = byCpu[0];
  const cheapest = byCpu[byCpu.length - 1];
  const plain = rows.find((r) => r.config.id === 'plain');
  const vigil = rows.find((r) => r.config.id === 'sqlcipher');
  const limits = rows.find((r) => r.config.id === 'limits');
  const gcm = run.layers.deviceCost.find((d) => d.alg === 'A256GCM');
  const ascon = run.layers.deviceCost.find((d) => d.alg === 'ASCON128');
  const none = run.layers.deviceCost.find((d) => d.alg === 'none');
  const defeated = (l: Layer) => [
    ...new Set(
      PROPERTIES.flatMap((p) => matrix.find((r) => r.layer === l)?.cells[p].scenarios.map((s) => s.id) ?? []),
    ),
  ];
  const list = (ids: string[]) => (ids.length ? `\`${ids.join('`, `')}\`` : 'none in this report');
  const out: string[] = [];
  if (dearest?.cost && cheapest?.cost) {
    out.push(
      `- **Most expensive single layer, server CPU per message:** ${LAYER_TITLES[dearest.layer]}, ${x(dearest.cost.cpu)} the CPU of the configuration without it. **Cheapest:** ${LAYER_TITLES[cheapest.layer]}, ${x(cheapest.cost.cpu)}. On the wire the envelope is the big step: ${x(layerCost(rows, 'hmac-replay')?.bytes ?? Number.NaN)} the bytes per reading, against ${x(layerCost(rows, 'tls')?.bytes ?? Number.NaN)} for TLS.`,
    );
  }
  if (plain && vigil) {
    out.push(
      `- **The whole Vigil pipeline** (durable SQLCipher store, ingest, broker checks; limits raised out of the way) against plain MQTT: ${plain.max && vigil.max ? `${x(vigil.max.rate / plain.max.rate)} the throughput, ` : ''}${x(vigil.paced.cpuMsPer1000 / plain.paced.cpuMsPer1000)} the server CPU per message, ${x((vigil.wire.upBytesPerReading + vigil.wire.downBytesPerReading) / (plain.wire.upBytesPerReading + plain.wire.downBytesPerReading))} the bytes per reading, p50 round trip ${f2(plain.paced.p50Ms)} -> ${f2(vigil.paced.p50Ms)} ms. Most of what it adds over the AEAD row is the durable commit: PUBACK only once the reading is on disk (synchronous FULL), a promise no lab row makes.`,
    );
  }
  if (run.layers.store) {
    out.push(
      `- **SQLCipher alone** (the same store and batches, encrypted against plain): ${x(run.layers.store.ratio)} the readings per second (${f0(run.layers.store.encryptedRate)} vs ${f0(run.layers.store.plainRate)}). Turning it off would save that (${x(1 / run.layers.store.ratio)} the store's time per reading) and expose every reading, device secret and token hash to whoever copies the data directory (${list(defeated('sqlcipher'))}).`,
    );
  }
  if (limits && vigil) {
    out.push(
      `- **Rate limits and caps**, same load: ${extra(limits.paced.cpuMsPer1000 / vigil.paced.cpuMsPer1000, 'CPU per message')}. What they buy is in the attack results: without them one stolen device fills the store as fast as its link allows and a connection flood takes every descriptor (${list(defeated('limits'))}).`,
    );
  }
  if (gcm && ascon && none) {
    out.push(
      `- **On the device**, sealing one 128-byte reading takes ${f1(none.usPerReading)} us with the MAC alone, ${f1(gcm.usPerReading)} us with AES-256-GCM and ${f1(ascon.usPerReading)} us with Ascon-AEAD128 on this host (AES-GCM through OpenSSL with AES-NI, Ascon in Vigil's own TypeScript); the envelope is ${none.envelopeBytes}, ${gcm.envelopeBytes} and ${ascon.envelopeBytes} bytes. ${Math.abs(ascon.usPerReading / gcm.usPerReading - 1) < 0.2 ? "Here the two are within 20 % of each other, and most of the time is the envelope's JSON, base64url and HMAC, not the cipher" : `Here ${ascon.usPerReading < gcm.usPerReading ? 'Ascon' : 'AES-GCM'} is faster (${x(Math.max(ascon.usPerReading, gcm.usPerReading) / Math.min(ascon.usPerReading, gcm.usPerReading))})`}; on a microcontroller without AES hardware Ascon is the lighter of the two, which is what it was designed for (NIST SP 800-232).`,
    );
  }
  for (const l of LAYERS) {
    const ids = defeated(l);
    const cost = layerCost(rows, l);
    const price =
      l === 'sqlcipher'
        ? `; keeping it costs the store ${x(1 / (run.layers.store?.ratio ?? Number.NaN))} the time per reading (W5; the pipeline row's ${x(cost?.cpu ?? Number.NaN)} CPU per message over the AEAD lab row is mostly the durable commit and ingest, which a lab row does not do)`
        : cost && Number.isFinite(cost.cpu)
          ? `; keeping it costs ${extra(cost.cpu, 'CPU per message')}, ${extra(cost.bytes, 'bytes per reading')}`
          : '';
    out.push(
      `- **Turning off ${LAYER_TITLES[l]}** gives up the defence against ${ids.length} scenario(s): ${list(ids)}${price}.`,
    );
  }
  return out;
}

/** Writes the document and its charts (under `<doc dir>/<doc name>/`). */
export function writeEvaluationDoc(run: EvaluationRun, docPath: string): void {
  const rows = run.layers.rows;
  const chartDir = join(dirname(docPath), basename(docPath, '.md'));
  mkdirSync(chartDir, { recursive: true });
  const charts: [string, string][] = [
    [
      'throughput.svg',
      barChartSvg(
        'Throughput, QoS 1 msgs/s (4 clients x 64 in flight)',
        'msgs/s',
        rows
          .filter((r) => r.max)
          .map((r) => ({
            label: r.config.title,
            value: r.max?.rate ?? Number.NaN,
            text: f0(r.max?.rate ?? Number.NaN),
          })),
      ),
    ],
    [
      'cpu.svg',
      barChartSvg(
        `Server CPU per 1,000 messages at ${run.layers.pacedRate}/s`,
        'ms',
        rows.map((r) => ({
          label: r.config.title,
          value: r.paced.cpuMsPer1000,
          text: `${f0(r.paced.cpuMsPer1000)} ms`,
        })),
      ),
    ],
    [
      'latency.svg',
      barChartSvg(
        `publish -> PUBACK p99 at ${run.layers.pacedRate}/s`,
        'ms',
        rows.map((r) => ({
          label: r.config.title,
          value: r.paced.p99Ms,
          text: `${f1(r.paced.p99Ms)} ms (p50 ${f2(r.paced.p50Ms)})`,
        })),
      ),
    ],
    [
      'bytes.svg',
      barChartSvg(
        'Bytes on the wire per reading (PUBLISH up + PUBACK down)',
        'bytes',
        rows.map((r) => ({
          label: r.config.title,
          value: r.wire.upBytesPerReading + r.wire.downBytesPerReading,
        })),
      ),
    ],
  ];
  for (const [name, svg] of charts) writeFileSync(join(chartDir, name), svg);
  const rel = (n: string) => `${relative(dirname(docPath), chartDir)}/${n}`;
  const matrix = run.seclab ? ciaMatrix(run.seclab, rows) : [];
  const m = run.machine;
  const s = run.seclab?.summary;
  const lines = [
    '# Vigil security evaluation: what each layer costs and what it buys',
    '',
    '<!-- Generated by `npm run bench -- --only=layers` (bench/layers/run-layers.ts); do not edit by hand. -->',
    '',
    `Run of ${run.startedAt}, ${(run.durationMs / 60_000).toFixed(1)} min, ${run.layers.rounds} round(s) per configuration (medians).`,
    '',
    `**Machine:** ${m.cpuModel} x${m.cpuCount}, ${m.totalMemoryGiB} GiB, ${m.platform}/${m.arch} ${m.osRelease}, Node ${m.node}, OpenSSL ${m.openssl}, SQLite ${m.sqlite} (${m.sqlite3mc}). **Load:** the machine is shared; load average ${run.loadBefore.join(' / ')} before and ${run.loadAfter.join(' / ')} after (1/5/15 min) on ${m.cpuCount} cores, the evaluation itself at nice ${run.niceness}. Absolute figures from such a machine move by tens of percent between runs; compare the ratios, all measured in this one run on the same load generator.`,
    '',
    `**Attack results:** ${run.seclab && s ? `\`vigil seclab --${run.seclab.mode}\` of ${run.seclab.startedAt} (${run.seclabFile ?? ''}): ${s.scenarios} scenarios, ${s.refused} refused, ${s.gotThrough} got through, ${s.degraded} degraded, ${s.skipped} skipped, ${s.errors} errors.` : 'none given: the CIA matrix is left out (run `npm run seclab:full` first).'}`,
    '',
    '## Method',
    '',
    `- One load generator for every row: bench/load-worker.ts in a worker thread, 4 MQTT 3.1.1 clients (each a provisioned device with its own certificate where TLS is client-authenticated), QoS 1, 128-byte telemetry bodies. The server under test runs in a process of its own, so its CPU (user + system, every thread, from /proc) and memory are its alone.`,
    `- **Throughput**: each client keeps 64 PUBLISHes in flight; PUBACKs per second over ${run.layers.rounds > 1 ? '3' : '2'} s after a warm-up. **Latency and CPU per 1,000 messages**: a steady ${run.layers.pacedRate} msgs/s (80 per device, under every limit), publish() to PUBACK per message. **Memory per connection**: RSS growth of the server with ${run.layers.memoryConnections} idle MQTT sessions. **TLS handshake**: 30 full handshakes and 30 resuming the previous session (ECDSA P-256 server key, median). **Bytes**: a counting relay between one client and the server: TCP payload from connect to CONNACK (setup), then 100 readings one at a time.`,
    "- Rows 1 to 6 are lab baselines: a bare Aedes (the broker Vigil embeds) behind no TLS, TLS, mutual TLS, and with the receiver's checks of docs/protocol.md §6.2 in its authorizePublish hook (envelope schema, key, HMAC, clock, replay window; then AES-256-GCM or Ascon-AEAD128 decryption and the body schema). They acknowledge once the checks pass and store nothing. Rows 7 and 8 are `vigil start` itself: the whole pipeline with the SQLCipher store (synchronous FULL, PUBACK after the commit), first with the limits raised out of the way, then with the defaults. Plain MQTT over TCP exists only here: Vigil never opens a plain port.",
    '',
    '## Cost of each configuration',
    '',
    ...costTable(rows, run.layers.pacedRate),
    '',
    `![throughput](${rel('throughput.svg')})`,
    '',
    `![CPU per 1,000 messages](${rel('cpu.svg')})`,
    '',
    `![p99 latency](${rel('latency.svg')})`,
    '',
    `![bytes per reading](${rel('bytes.svg')})`,
    '',
    `TLS: ${rows.find((r) => r.handshake)?.handshake?.version ?? '?'} ${rows.find((r) => r.handshake)?.handshake?.cipher ?? ''}; resumption accepted in ${f0(100 * (rows.find((r) => r.config.id === 'sqlcipher')?.handshake?.resumedShare ?? Number.NaN))} % of the attempts on Vigil. The reading's own size: ${f0(rows[0]?.wire.payloadBytes ?? Number.NaN)} bytes plain, ${f0(rows.find((r) => r.config.id === 'hmac')?.wire.payloadBytes ?? Number.NaN)} as an alg none envelope, ${f0(rows.find((r) => r.config.id === 'aead-gcm')?.wire.payloadBytes ?? Number.NaN)} as A256GCM.`,
    '',
    ...(run.layers.store
      ? [
          `SQLCipher alone (bench W5: the same batches into the encrypted and an unencrypted store, synchronous FULL): ${f0(run.layers.store.encryptedRate)} vs ${f0(run.layers.store.plainRate)} readings/s, ${x(run.layers.store.ratio)}.`,
          '',
        ]
      : []),
    '## Device-side cost per reading',
    '',
    '| alg | crypto operations per reading | time per reading on this host, us | envelope bytes (body 128) |',
    '|---|---|---:|---:|',
    ...run.layers.deviceCost.map(
      (d) => `| ${d.alg} | ${d.ops} | ${f1(d.usPerReading)} | ${d.envelopeBytes} |`,
    ),
    '',
    "Measured with the simulator's sealing code (src/protocol/envelope.ts as src/sim/sim-device.ts uses it): keys are derived once (HKDF-SHA256, two per key generation), so a reading costs one AEAD encryption, one HMAC and a nonce from the CSPRNG.",
    '',
    '## The CIA matrix',
    '',
    ...(matrix.length
      ? [
          'Each cell names the seclab scenarios the layer defeats for that property, as the attack run recorded them; a verdict other than refused is named after the list. The cost column compares the configuration with the layer to the one without it (table above).',
          '',
          ...matrixTable(matrix, run.layers.store?.ratio ?? Number.NaN),
        ]
      : ['No seclab report was given.']),
    '',
    '## Conclusions',
    '',
    ...conclusions(run, matrix),
    '',
  ];
  writeFileSync(docPath, `${lines.join('\n')}\n`);
}
