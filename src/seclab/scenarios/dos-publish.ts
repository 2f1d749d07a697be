/**
 * Denial of service by valid identities and bad packets: a device publishing as fast as it can,
 * a flood of refused envelopes, oversized packets and a reconnect storm (docs/security.md §3).
 */
import type { MqttClient } from 'mqtt';
import { serializeEnvelope } from '../../protocol/envelope.ts';
import type { DeviceBundleFiles } from '../../sim/device-bundle.ts';
import { closed, flood, Tally, tlsConnect } from '../flood.ts';
import { connectDevice, endClient, publishOnce, sealFor, topicOf, truckSample } from '../mqtt-tools.ts';
import {
  errorOutcome,
  QUICK_AND_FULL,
  refusedIf,
  type Scenario,
  type ScenarioContext,
  sleep,
} from '../scenario.ts';
import { floodOutcome, floodScenario } from './flood-scenario.ts';

/**
 * One device publishing pre-sealed envelopes with up to `window` in flight for `durationMs`,
 * reconnecting whenever the broker closes it. Bodies from `make(seq)`.
 */
async function publishLoop(
  ctx: ScenarioContext,
  b: DeviceBundleFiles,
  make: (seq: number) => string,
  o: { window: number; ratePerSec?: number },
  t: Tally,
): Promise<void> {
  const end = Date.now() + ctx.durationMs;
  let seq = 0;
  let client: MqttClient | undefined;
  const topic = topicOf(b, 'telemetry');
  while (Date.now() < end && !ctx.signal.aborted) {
    try {
      client = await connectDevice(ctx.lab.target.mqttUrl, b);
      t.add('connected');
    } catch (err) {
      t.add(
        /Server unavailable|unavailable/i.test((err as Error).message)
          ? 'CONNACK 3 (connect rate)'
          : 'connect refused',
      );
      await sleep(250, ctx.signal);
      continue;
    }
    const c = client;
    let inFlight = 0;
    let sentThisSecond = 0;
    let second = Math.floor(Date.now() / 1000);
    while (c.connected && Date.now() < end && !ctx.signal.aborted) {
      const now = Math.floor(Date.now() / 1000);
      if (now !== second) {
        second = now;
        sentThisSecond = 0;
      }
      if (inFlight >= o.window || (o.ratePerSec !== undefined && sentThisSecond >= o.ratePerSec)) {
        await sleep(5);
        continue;
      }
      inFlight++;
      sentThisSecond++;
      t.add('published');
      c.publish(topic, make(++seq), { qos: 1 }, (err) => {
        inFlight--;
        t.add(err ? 'no PUBACK (connection closed)' : 'PUBACK');
      });
    }
    if (!c.connected) t.add('closed by the broker');
    await endClient(c);
  }
}

const publishFlood = floodScenario({
  id: 'dos.publish-flood',
  title: 'Publish flood from a valid device',
  attacked:
    'ingest and the store: a stolen device publishing valid envelopes as fast as it can (200 in flight), reconnecting at once whenever it is cut off',
  expected:
    'the per-device token bucket (100/s, burst 200) cuts it off; reconnects are limited to 30/min; what it gets stored stays within the bucket',
  layers: ['limits'],
  run: async (ctx) => {
    const { lab } = ctx;
    const b = await lab.device('flood-pub');
    const t = new Tally();
    const before = await lab.rejections();
    await publishLoop(
      ctx,
      b,
      (seq) => serializeEnvelope(sealFor(b, 'telemetry', { samples: [truckSample()] }, { seq })),
      { window: 200 },
      t,
    );
    const after = await lab.rejections();
    const stored = await lab.target.ctx.store.countReadings(b.info.id);
    const { publishRatePerSec, publishBurst } = lab.target.ctx.config.mqtt;
    const bound = publishBurst + publishRatePerSec * (ctx.durationMs / 1000) * 1.1;
    const rateLimited = (after.rate_limit ?? 0) - (before.rate_limit ?? 0);
    const connectRate = (after.connect_rate ?? 0) - (before.connect_rate ?? 0);
    return floodOutcome(
      lab,
      stored <= bound && rateLimited > 0,
      `${t.get('published')} published, ${stored} stored (bound ${Math.round(bound)})`,
      [
        ...Object.entries(t.counts).map(([k, v]) => `${k}: ${v}`),
        `stored for the flooding device: ${stored} (token bucket bound ${publishBurst} + ${publishRatePerSec}/s x ${ctx.durationMs / 1000} s, +10 %: ${Math.round(bound)})`,
        `counted: rate_limit +${rateLimited}, connect_rate +${connectRate}`,
      ],
      { ...t.counts, stored },
    );
  },
});

const rejectFlood = floodScenario({
  id: 'dos.reject-flood',
  title: 'Flood of refused envelopes',
  attacked:
    'the rejection path, audit log and logs: 10 devices each sending 90 wrong-MAC envelopes a second (under the rate limit, so every one is verified and refused)',
  expected:
    'every one refused and counted; audit and log lines summarised, so the log grows by at most the summariser bound',
  layers: ['limits', 'hmac-replay'],
  run: async (ctx) => {
    const { lab } = ctx;
    const devices = await Promise.all(Array.from({ length: 10 }, (_, i) => lab.device(`flood-rej-${i}`)));
    const t = new Tally();
    const before = await lab.rejections();
    const admin = await lab.admin();
    const since = new Date().toISOString();
    await Promise.all(
      devices.map((b) =>
        publishLoop(
          ctx,
          b,
          (seq) => {
            const e = sealFor(b, 'telemetry', { samples: [truckSample()] }, { seq });
            // A different first character: still canonical base64url, so the MAC check itself refuses it.
            e.mac = (e.mac.startsWith('A') ? 'B' : 'A') + e.mac.slice(1);
            return serializeEnvelope(e);
          },
          { window: 50, ratePerSec: 90 },
          t,
        ),
      ),
    );
    await sleep(500);
    const after = await lab.rejections();
    const mac = (after.mac_invalid ?? 0) - (before.mac_invalid ?? 0);
    const audit = await admin.session.call(`/api/v1/audit?since=${since}&limit=1000`);
    const auditEntries = (audit.json as { entries?: unknown[] } | undefined)?.entries?.length ?? Number.NaN;
    const acked = t.get('PUBACK');
    return floodOutcome(
      lab,
      mac >= acked * 0.99 && acked > 0,
      `${acked} refused envelopes acknowledged, ${mac} counted mac_invalid, ${auditEntries} audit entries`,
      [
        ...Object.entries(t.counts).map(([k, v]) => `${k}: ${v}`),
        `counted: mac_invalid +${mac}`,
        `audit entries written meanwhile: ${auditEntries} (first per device at once, repeats summarised per minute)`,
      ],
      { ...t.counts, counted: mac, auditEntries },
    );
  },
});

const oversized = floodScenario({
  id: 'dos.oversized-packets',
  title: 'Oversized packets',
  attacked:
    'broker memory: 20 lanes of TLS sessions announcing a 256 MiB PUBLISH, sending a 21 KiB one, or a 17 KiB envelope, again and again',
  expected:
    'the 256 MiB and 21 KiB packets close the connection on the fixed header (nothing buffered); the 17 KiB envelope is refused as envelope_size; memory stays flat',
  layers: ['limits'],
  run: async (ctx) => {
    const { lab } = ctx;
    const b = await lab.device('oversized');
    const t = new Tally();
    const before = await lab.rejections();
    const topic = Buffer.from(topicOf(b, 'telemetry'));
    // PUBLISH QoS 1 fixed header with a remaining length; RFC: MQTT 3.1.1 §2.2.3 variable-length encoding.
    const header = (len: number) => {
      const out = [0x32];
      let x = len;
      do {
        let byte = x % 128;
        x = Math.floor(x / 128);
        if (x > 0) byte |= 0x80;
        out.push(byte);
      } while (x > 0);
      return Buffer.from(out);
    };
    const bigPublish = (size: number) => {
      const body = Buffer.alloc(size - topic.length - 4, 0x61);
      const variable = Buffer.concat([
        Buffer.from([topic.length >> 8, topic.length & 0xff]),
        topic,
        Buffer.from([0, 1]),
        body,
      ]);
      return Buffer.concat([header(variable.length), variable]);
    };
    const kinds = ['256 MiB announced', '21 KiB PUBLISH'] as const;
    await flood({ durationMs: ctx.durationMs, concurrency: 20, signal: ctx.signal }, async (i) => {
      const kind = kinds[i % kinds.length] ?? kinds[0];
      const s = await tlsConnect(lab.target.mqttPort, lab.address(90 + (i % 10)), {
        ca: b.ca,
        cert: b.cert,
        key: b.key,
        rejectUnauthorized: true,
      }).catch(() => null);
      if (!s) {
        t.add('handshake refused (address cap)');
        return;
      }
      s.on('error', () => {});
      s.write(
        kind === '256 MiB announced' ? Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]) : bigPublish(21 * 1024),
      );
      t.add((await closed(s, 5000)) ? `${kind}: closed` : `${kind}: NOT closed within 5 s`);
      s.destroy();
    });
    // And envelopes over 16 KiB inside a legal packet, from a proper session.
    const c = await connectDevice(lab.target.mqttUrl, b);
    const env = serializeEnvelope(sealFor(b, 'telemetry', { samples: [truckSample()] }, { seq: 1 }));
    const fat = env.replace('"v":1,', `"v":1,"pad":"${'x'.repeat(17 * 1024)}",`);
    for (let i = 0; i < 20; i++)
      await new Promise<void>((r) => c.publish(topicOf(b, 'telemetry'), fat, { qos: 1 }, () => r()));
    await endClient(c);
    const after = await lab.rejections();
    const tooLarge = (after.packet_too_large ?? 0) - (before.packet_too_large ?? 0);
    const envSize = (after.envelope_size ?? 0) - (before.envelope_size ?? 0);
    const notClosed = Object.entries(t.counts)
      .filter(([k]) => k.includes('NOT'))
      .reduce((n, [, v]) => n + v, 0);
    return floodOutcome(
      lab,
      notClosed === 0 && tooLarge > 0 && envSize >= 20,
      `oversized packets closed; ${envSize} oversized envelopes refused`,
      [
        ...Object.entries(t.counts).map(([k, v]) => `${k}: ${v}`),
        `counted: packet_too_large +${tooLarge}, envelope_size +${envSize} (20 envelopes of 17 KiB sent)`,
      ],
      { ...t.counts, packetTooLarge: tooLarge, envelopeSize: envSize },
    );
  },
});

const reconnectStorm = floodScenario({
  id: 'dos.reconnect-storm',
  title: 'Reconnect storm',
  attacked:
    'the broker: 4 copies of one device certificate connecting and disconnecting in a tight loop (full TLS handshake each time)',
  expected:
    'CONNECTs beyond 30 per minute per device id get CONNACK 3 (connect_rate), takeovers are limited; counted',
  layers: ['limits'],
  run: async (ctx) => {
    const { lab } = ctx;
    const b = await lab.device('storm');
    const t = new Tally();
    const before = await lab.rejections();
    await flood({ durationMs: ctx.durationMs, concurrency: 4, signal: ctx.signal }, async () => {
      try {
        const c = await connectDevice(lab.target.mqttUrl, b);
        t.add('CONNACK 0');
        await endClient(c);
      } catch (err) {
        const m = (err as Error).message;
        t.add(/unavailable/i.test(m) ? 'CONNACK 3' : /closed/i.test(m) ? 'closed' : 'refused');
      }
    });
    const after = await lab.rejections();
    const d = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    const admitted = t.get('CONNACK 0');
    const bound = lab.target.ctx.config.mqtt.connectRatePerMinute * (1 + ctx.durationMs / 60_000);
    return floodOutcome(
      lab,
      admitted <= bound && d('connect_rate') > 0,
      `${admitted} CONNECTs admitted (bound ${Math.round(bound)}), ${t.get('CONNACK 3')} refused with CONNACK 3`,
      [
        ...Object.entries(t.counts).map(([k, v]) => `${k}: ${v}`),
        `counted: connect_rate +${d('connect_rate')}, takeover_rate +${d('takeover_rate')}, session_takeover +${d('session_takeover')}`,
      ],
      { ...t.counts },
    );
  },
});

/** The quick run's bounded checks of the same limits (no flood, a few seconds each). */
const burst: Scenario = {
  id: 'dos.rate-limit-burst',
  family: 'dos',
  title: 'A burst over the per-device rate limit',
  attacked: 'ingest: one device sending 400 valid envelopes at once, twice its burst allowance',
  expected: 'cut off (connection closed, rate_limit counted) after about 200; at most the burst is stored',
  layers: ['limits'],
  properties: ['availability'],
  modes: QUICK_AND_FULL,
  timeoutMs: 60_000,
  run: async (ctx) => {
    try {
      const { lab } = ctx;
      const b = await lab.device('burst');
      const before = await lab.rejections();
      const c = await connectDevice(lab.target.mqttUrl, b);
      // One close listener per outstanding publish (publishOnce).
      c.setMaxListeners(500);
      const topic = topicOf(b, 'telemetry');
      let acked = 0;
      const sends = Array.from({ length: 400 }, (_, i) =>
        publishOnce(
          c,
          topic,
          serializeEnvelope(sealFor(b, 'telemetry', { samples: [truckSample()] }, { seq: i + 1 })),
          10_000,
        ).then((o) => {
          if (o === 'acked') acked++;
        }),
      );
      await Promise.all(sends);
      const cut = !c.connected;
      await endClient(c);
      const grown = await lab.counted(before, ['rate_limit']);
      const stored = await lab.target.ctx.store.countReadings(b.info.id);
      const { publishBurst, publishRatePerSec } = lab.target.ctx.config.mqtt;
      // The bucket refills while the burst is being processed: allow one second of refill.
      const bound = publishBurst + publishRatePerSec;
      return refusedIf(
        cut && grown.rate_limit !== undefined && stored <= bound,
        `cut off after ${acked} acknowledged, ${stored} stored`,
        [
          `connection ${cut ? 'closed by the broker' : 'still open'}; ${acked} PUBACKs`,
          `counted: ${grown.rate_limit ? `rate_limit +${grown.rate_limit}` : 'rate_limit did not move'}`,
          `stored: ${stored} (burst ${publishBurst} + one second at ${publishRatePerSec}/s = ${bound})`,
        ],
      );
    } catch (err) {
      return errorOutcome(err);
    }
  },
};

const oversizedOnce: Scenario = {
  id: 'dos.oversized-packet',
  family: 'dos',
  title: 'One PUBLISH announcing 256 MiB',
  attacked:
    'broker memory: a device sends a PUBLISH fixed header announcing the MQTT maximum (256 MiB) and nothing else',
  expected: 'connection closed on the header, nothing buffered, counted (packet_too_large)',
  layers: ['limits'],
  properties: ['availability'],
  modes: QUICK_AND_FULL,
  timeoutMs: 30_000,
  run: async (ctx) => {
    try {
      const { lab } = ctx;
      const b = await lab.device('oversized-once');
      const before = await lab.rejections();
      const s = await tlsConnect(lab.target.mqttPort, '127.0.0.1', {
        ca: b.ca,
        cert: b.cert,
        key: b.key,
        rejectUnauthorized: true,
      });
      s.on('error', () => {});
      s.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
      const shut = await closed(s, 5000);
      s.destroy();
      const grown = await lab.counted(before, ['packet_too_large']);
      return refusedIf(
        shut && grown.packet_too_large !== undefined,
        shut ? 'closed on the fixed header' : 'the connection stayed open',
        [
          `connection ${shut ? 'closed within 5 s' : 'still open after 5 s'}`,
          `counted: ${grown.packet_too_large ? `packet_too_large +${grown.packet_too_large}` : 'packet_too_large did not move'}`,
        ],
      );
    } catch (err) {
      return errorOutcome(err);
    }
  },
};

export const DOS_PUBLISH_SCENARIOS: Scenario[] = [
  burst,
  oversizedOnce,
  publishFlood,
  rejectFlood,
  oversized,
  reconnectStorm,
];
