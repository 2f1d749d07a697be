/**
 * Sniffing: what a passive observer learns from the loopback wire (tshark), from the broker (a
 * backend subscriber sees what any broker operator sees), and from the data directory on disk.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Alg } from '../../protocol/aead.ts';
import { b64uDecode } from '../../protocol/base64url.ts';
import type { DeviceBundleFiles } from '../../sim/device-bundle.ts';
import { type Capture, countMatches, findSecret, hasTool, startCapture } from '../capture.ts';
import type { Lab } from '../lab.ts';
import { poll } from '../lab.ts';
import { connectMqtt, endClient, subscribeOnce, truckSample } from '../mqtt-tools.ts';
import { scanFiles } from '../scan-files.ts';
import { errorOutcome, guarded, QUICK_AND_FULL, refusedIf, type Scenario } from '../scenario.ts';
import { simSend } from '../sim-send.ts';
import { fmtBytes } from '../stats.ts';

/** A temperature no real sample would carry, written as JSON writes it. */
function markerTemp(): { value: number; text: string } {
  const value = -(10 + (randomBytes(3).readUIntBE(0, 3) % 80)) - 0.1234567;
  return { value, text: JSON.stringify(value) };
}

/** Creates a shipment for `deviceId`, sends the dispatch (batch, token) and a marker reading. */
async function markedTrip(lab: Lab, device: DeviceBundleFiles, temp: number) {
  const admin = await lab.admin();
  const created = await admin.session.post('/api/v1/shipments', { deviceId: device.info.id });
  if (created.status !== 201)
    throw new Error(`create shipment: ${created.status} ${created.text.slice(0, 120)}`);
  const shipmentId = (created.json as { shipment: { id: string } }).shipment.id;
  const batch = `SECLAB-${randomBytes(5).toString('hex').toUpperCase()}`;
  const token = randomBytes(16).toString('base64url');
  await simSend(device, lab.target.mqttUrl, [
    { channel: 'events', body: { type: 'dispatch', ts: Date.now(), batch, token } },
    { channel: 'telemetry', body: { samples: [truckSample(Date.now(), temp)] } },
  ]);
  const inTransit = await poll(async () => {
    const r = await admin.session.call(`/api/v1/shipments/${shipmentId}`);
    return (r.json as { shipment?: { state?: string } } | undefined)?.shipment?.state === 'in_transit';
  }, 10_000);
  if (!inTransit) throw new Error('the dispatch event did not start the shipment');
  const delivered = await admin.session.post(`/api/v1/shipments/${shipmentId}/deliver`, { token });
  return { shipmentId, batch, token, delivered: delivered.status };
}

/** Sends `text` in clear to `port` every 250 ms until the capture file holds it (10 s at most). */
async function controlSeen(cap: Capture, port: number, text: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end(text));
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    const seen = await poll(() => countMatches(cap.sofar(), text) > 0, 250);
    if (seen) return true;
  }
  return false;
}

const capture: Scenario = {
  id: 'sniff.capture',
  family: 'sniffing',
  title: 'Capture of the loopback traffic with tshark',
  attacked:
    'confidentiality on the wire: a device sends a marker temperature and a dispatch event (batch id, delivery token); the receiver confirms delivery with the token over HTTPS; everything on both ports is captured',
  expected:
    'none of the marker, the batch id or the token appears in the capture (in clear, base64 or base64url); plain-text controls sent to the same port before and after the trip do (the capture covers the whole trip)',
  layers: ['tls'],
  properties: ['confidentiality'],
  modes: QUICK_AND_FULL,
  timeoutMs: 90_000,
  run: async (ctx) => {
    if (!hasTool('tshark')) {
      return {
        verdict: 'skipped',
        observed: 'tshark is not installed',
        evidence: ['apt-get install tshark'],
      };
    }
    const { lab } = ctx;
    let cap: Awaited<ReturnType<typeof startCapture>>;
    try {
      cap = await startCapture(lab.dir, [lab.target.mqttPort, lab.target.httpPort]);
    } catch (err) {
      return {
        verdict: 'skipped',
        observed: 'tshark cannot capture here (run as root or in the wireshark group)',
        evidence: [(err as Error).message],
      };
    }
    try {
      const device = await lab.device('sniff');
      const temp = markerTemp();
      // Controls in clear to the same port, before and after the trip, each waited for in the
      // capture file: the capture provably covers the whole trip (tshark reports "Capturing on"
      // before the first packets reach the file, and writes them with a delay).
      const control = `SECLAB-CONTROL-${randomBytes(6).toString('hex')}`;
      const first = await controlSeen(cap, lab.target.mqttPort, `${control}-A`);
      const trip = await markedTrip(lab, device, temp.value);
      const last = await controlSeen(cap, lab.target.mqttPort, `${control}-B`);
      const bytes = await cap.stop();
      const stored = (await lab.target.ctx.store.queryReadings({ deviceId: device.info.id, since: 0 })).some(
        (r) => r.data.temp_c === temp.value,
      );
      const found = {
        marker: findSecret(bytes, temp.text),
        batch: findSecret(bytes, trip.batch),
        token: findSecret(bytes, trip.token),
        control: findSecret(bytes, `${control}-A`) + findSecret(bytes, `${control}-B`),
      };
      const evidence = [
        `captured ${fmtBytes(bytes.length)} (${bytes.length} bytes) on lo, filter tcp port ${lab.target.mqttPort} or ${lab.target.httpPort}`,
        `matches: marker temperature ${temp.text}: ${found.marker}, batch id: ${found.batch}, delivery token: ${found.token}`,
        `controls "SECLAB-CONTROL-..." sent in clear before and after: ${found.control} match(es); seen while capturing: before ${first ? 'yes' : 'NO'}, after ${last ? 'yes' : 'NO'}`,
        `server side: marker reading ${stored ? 'stored' : 'NOT stored'}; delivery with the token answered ${trip.delivered}`,
      ];
      if (!first || !last || !stored || trip.delivered !== 200) {
        return {
          verdict: 'error',
          observed: 'the capture or the traffic did not happen as planned',
          evidence,
        };
      }
      const leaked = found.marker + found.batch + found.token;
      return refusedIf(
        leaked === 0,
        leaked === 0 ? 'no secret in the capture' : `${leaked} secret(s) readable on the wire`,
        evidence,
      );
    } catch (err) {
      await cap.stop().catch(() => undefined);
      return errorOutcome(err);
    }
  },
};

/** What a backend subscriber gets for one device's marker reading. */
async function brokerView(lab: Lab, alg: Alg, temp: { value: number; text: string }) {
  const device = await lab.device(`view-${alg.toLowerCase()}`, { alg });
  const service = await lab.service('observer');
  const sub = await connectMqtt(lab.target.mqttUrl, service.name, {
    ca: lab.target.caPem,
    cert: service.cert,
    key: service.key,
  });
  try {
    const topic = `${device.info.topic_prefix}/devices/${device.info.id}/telemetry`;
    const payloads: Buffer[] = [];
    sub.on('message', (t, p) => {
      if (t === topic) payloads.push(Buffer.from(p));
    });
    const granted = await subscribeOnce(sub, topic);
    if (granted !== 1) throw new Error(`the observer's subscription was refused (${granted})`);
    await simSend(device, lab.target.mqttUrl, [
      { channel: 'telemetry', body: { samples: [truckSample(Date.now(), temp.value)] } },
    ]);
    await poll(() => payloads.length > 0, 5000);
    const payload = payloads[0];
    if (!payload) throw new Error(`no message reached the observer for ${alg}`);
    const b = (JSON.parse(payload.toString('utf8')) as { b: string }).b;
    const decoded = b64uDecode(b) ?? Buffer.alloc(0);
    const visible = findSecret(payload, temp.text) + findSecret(decoded, temp.text);
    return { visible, bytes: payload.length, b: b.slice(0, 32) };
  } finally {
    await endClient(sub);
  }
}

const brokerViewScenario: Scenario = {
  id: 'sniff.broker-view',
  family: 'sniffing',
  title: "The broker's view: a backend subscriber reads A256GCM, ASCON128 and alg none readings",
  attacked:
    'confidentiality beyond TLS: whoever runs or breaks into the broker (an external Mosquitto, a backend subscription) reads payloads after TLS is removed',
  expected:
    'the marker is readable for the alg none device (integrity only, the control) and not for A256GCM or ASCON128 (only ciphertext)',
  layers: ['aead'],
  properties: ['confidentiality'],
  modes: QUICK_AND_FULL,
  timeoutMs: 90_000,
  run: guarded(async (ctx) => {
    const temp = markerTemp();
    const none = await brokerView(ctx.lab, 'none', temp);
    const gcm = await brokerView(ctx.lab, 'A256GCM', temp);
    const ascon = await brokerView(ctx.lab, 'ASCON128', temp);
    const evidence = [
      `alg none: marker ${temp.text} ${none.visible > 0 ? 'readable' : 'not found'} (${none.bytes}-byte payload, b = ${none.b}...)`,
      `A256GCM: marker ${gcm.visible > 0 ? 'READABLE' : 'not found, only ciphertext'} (${gcm.bytes}-byte payload, b = ${gcm.b}...)`,
      `ASCON128: marker ${ascon.visible > 0 ? 'READABLE' : 'not found, only ciphertext'} (${ascon.bytes}-byte payload, b = ${ascon.b}...)`,
    ];
    if (none.visible === 0)
      return { verdict: 'error', observed: 'the control (alg none) did not show the marker', evidence };
    const leaked = gcm.visible + ascon.visible;
    return refusedIf(
      leaked === 0,
      leaked === 0
        ? 'ciphertext only for A256GCM and ASCON128; in clear for alg none, as designed'
        : 'an AEAD payload was readable at the broker',
      evidence,
    );
  }),
};

const SCAN_LIMIT = 2 * 1024 ** 3;

const atRest: Scenario = {
  id: 'sniff.at-rest',
  family: 'sniffing',
  title: 'Reading the data directory without the master key',
  attacked:
    'confidentiality at rest: someone who copies the data directory (database, WAL, logs, certificates) but not the master key looks for a marker reading, a batch id and a delivery token',
  expected:
    'no file holds any of them in clear, base64 or base64url (SQLCipher pages, the token only as a keyed hash); the server itself returns the marker reading (control)',
  layers: ['sqlcipher'],
  properties: ['confidentiality'],
  modes: QUICK_AND_FULL,
  timeoutMs: 120_000,
  run: guarded(async (ctx) => {
    const { lab } = ctx;
    const device = await lab.device('rest');
    const temp = markerTemp();
    const trip = await markedTrip(lab, device, temp.value);
    const stored = (await lab.target.ctx.store.queryReadings({ deviceId: device.info.id, since: 0 })).some(
      (r) => r.data.temp_c === temp.value,
    );
    // Scanned by a child process: reading the database files here would drop this process's
    // SQLite locks on them (src/seclab/scan-files.ts).
    const scan = await scanFiles({
      dir: lab.target.ctx.paths.dataDir,
      // The key file is the one thing this attacker does not have.
      exclude: [lab.target.ctx.paths.masterKey],
      secrets: { marker: temp.text, 'batch id': trip.batch, token: trip.token },
      limitBytes: SCAN_LIMIT,
    });
    const hits = scan.hits.map((h) => `${h.secret} in ${h.file} (${h.count}x)`);
    const evidence = [
      `scanned ${scan.files} files, ${fmtBytes(scan.bytes)} of the data directory (master.key excluded)`,
      hits.length === 0 ? 'matches: none' : `matches: ${hits.join('; ')}`,
      `control: the server returns the marker reading: ${stored ? 'yes' : 'NO'}; delivery with the token answered ${trip.delivered}`,
    ];
    if (!stored) return { verdict: 'error', observed: 'the marker reading was not stored', evidence };
    return refusedIf(
      hits.length === 0,
      hits.length === 0
        ? 'nothing readable without the master key'
        : 'secrets readable in the data directory',
      evidence,
    );
  }),
};

export const SNIFFING_SCENARIOS: Scenario[] = [capture, brokerViewScenario, atRest];
