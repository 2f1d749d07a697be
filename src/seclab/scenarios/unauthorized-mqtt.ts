/**
 * Unauthorized access to the broker (docs/protocol.md §1-§3): identities the TLS layer or the
 * broker must refuse, and a valid device reaching beyond its own topics.
 */
import type { MqttClient } from 'mqtt';
import { createCa, issueClientCert } from '../../pki/index.ts';
import type { DeviceBundleFiles } from '../../sim/device-bundle.ts';
import type { Lab } from '../lab.ts';

import {
  type Creds,
  closesWithin,
  connectDevice,
  connectMqtt,
  endClient,
  publishOnce,
  sealFor,
  serializeEnvelope,
  subscribeOnce,
  topicOf,
  truckSample,
} from '../mqtt-tools.ts';
import { errorOutcome, type Outcome, QUICK_AND_FULL, refusedIf, type Scenario } from '../scenario.ts';

/** OpenSSL's reason out of its error line (`...:ssl3_read_bytes:tlsv13 alert certificate required:../deps/...`). */
export function shortTlsError(message: string): string {
  const m = /:([a-z0-9_]+):([^:]+):\.\.\//i.exec(message);
  return (m?.[2] ?? message).trim().slice(0, 160);
}

/** Tries to connect; the outcome in words and whether the broker let it in. */
async function tryConnect(
  lab: Lab,
  clientId: string,
  creds: Creds,
): Promise<{ admitted: boolean; how: string }> {
  try {
    const c = await connectMqtt(lab.target.mqttUrl, clientId, creds);
    await endClient(c);
    return { admitted: true, how: 'CONNACK 0: connected' };
  } catch (err) {
    return { admitted: false, how: shortTlsError((err as Error).message) };
  }
}

/** A connection attempt that must fail, counted under one of `labels`. */
async function refusedConnect(lab: Lab, clientId: string, creds: Creds, labels: string[]): Promise<Outcome> {
  const before = await lab.rejections();
  const r = await tryConnect(lab, clientId, creds);
  const grown = await lab.counted(before, labels);
  const reason = Object.keys(grown)[0];
  return refusedIf(
    !r.admitted && reason !== undefined,
    r.admitted ? 'connected' : `refused (${r.how}), counted as ${reason ?? 'nothing'}`,
    [
      `client: ${r.how}`,
      reason
        ? `counted: rejected.${reason} +${grown[reason]}`
        : `counted: none of ${labels.join(', ')} moved`,
    ],
  );
}

function scenario(
  id: string,
  title: string,
  attacked: string,
  expected: string,
  run: (lab: Lab) => Promise<Outcome>,
  layers: Scenario['layers'] = ['mtls'],
): Scenario {
  return {
    id,
    family: 'unauthorized',
    title,
    attacked,
    expected,
    layers,
    properties: ['confidentiality', 'integrity'],
    modes: QUICK_AND_FULL,
    timeoutMs: 45_000,
    run: async (ctx) => {
      try {
        return await run(ctx.lab);
      } catch (err) {
        return errorOutcome(err);
      }
    },
  };
}

const noCert = scenario(
  'mqtt.no-cert',
  'MQTT without a client certificate',
  'the broker: a client that verifies the server but presents no certificate, with a real device id',
  'TLS handshake fails, counted (no_client_cert)',
  async (lab) => {
    const victim = await lab.device('nocert-victim');
    return refusedConnect(lab, victim.info.id, { ca: victim.ca }, [
      'no_client_cert',
      'tls_other',
      'tls_protocol',
    ]);
  },
);

const wrongCa = scenario(
  'mqtt.wrong-ca',
  'MQTT with a certificate from another CA',
  "the broker: a certificate with a real device's CN, issued by an attacker's own CA",
  'TLS handshake fails, counted (unknown_ca)',
  async (lab) => {
    const victim = await lab.device('wrongca-victim');
    const rogue = await createCa({ now: new Date() });
    const cert = await issueClientCert({
      ca: rogue,
      commonName: victim.info.id,
      kind: 'device',
      validityDays: 30,
      now: new Date(),
    });
    return refusedConnect(
      lab,
      victim.info.id,
      { ca: victim.ca, cert: cert.certPem, key: cert.keyPkcs8Pem ?? '' },
      ['unknown_ca'],
    );
  },
);

const expired = scenario(
  'mqtt.expired',
  'MQTT with an expired certificate',
  'the broker: a certificate of the right CA for a real device, expired nine days ago',
  'TLS handshake fails, counted (cert_expired)',
  async (lab) => {
    const victim = await lab.device('expired-victim');
    const { ctx } = lab.target;
    const cert = await issueClientCert({
      ca: ctx.ca,
      commonName: victim.info.id,
      kind: 'device',
      validityDays: 1,
      now: new Date(Date.now() - 10 * 86_400_000),
    });
    return refusedConnect(
      lab,
      victim.info.id,
      { ca: victim.ca, cert: cert.certPem, key: cert.keyPkcs8Pem ?? '' },
      ['cert_expired'],
    );
  },
);

const revoked = scenario(
  'mqtt.revoked',
  'A revoked device: its live session and its reconnection',
  'the broker: a device whose certificate was revoked while it was connected (a stolen logger)',
  `live session dropped within pki.crlPollMs, reconnection refused and counted (cert_revoked; unknown_identity when the broker finds the revocation in the store before its CRL reload)`,
  async (lab) => {
    const b = await lab.device('revoked');
    const live = await connectDevice(lab.target.mqttUrl, b);
    const pollMs = lab.target.ctx.config.pki.crlPollMs;
    await lab.revoke(b.info.id);
    const dropped = await closesWithin(live, pollMs * 3 + 3000);
    await endClient(live);
    const out = await refusedConnect(lab, b.info.id, { ca: b.ca, cert: b.cert, key: b.key }, [
      'cert_revoked',
      'unknown_identity',
    ]);
    const evidence = [
      `live session ${dropped ? 'dropped' : 'still open'} after the revocation (crlPollMs ${pollMs})`,
      ...out.evidence,
    ];
    return refusedIf(
      dropped && out.verdict === 'refused',
      dropped ? out.observed : 'the revoked session stayed connected',
      evidence,
    );
  },
);

const idNotCn = scenario(
  'mqtt.id-not-cn',
  'Client id different from the certificate CN',
  "the broker: device A's certificate presenting device B's id, to publish as B",
  'CONNACK 2 (identifier rejected), counted (client_id_mismatch)',
  async (lab) => {
    const a = await lab.device('idcn-a');
    const b = await lab.device('idcn-b');
    return refusedConnect(lab, b.info.id, { ca: a.ca, cert: a.cert, key: a.key }, ['client_id_mismatch']);
  },
  ['mtls', 'broker-acl'],
);

/** Opens device `a` and returns a fresh connection per attempt (a refused PUBLISH closes it). */
async function withDevice<T>(lab: Lab, b: DeviceBundleFiles, fn: (c: MqttClient) => Promise<T>): Promise<T> {
  const c = await connectDevice(lab.target.mqttUrl, b);
  try {
    return await fn(c);
  } finally {
    await endClient(c);
  }
}

const crossPublish = scenario(
  'mqtt.cross-device-publish',
  "Publishing on another device's topics, and forging a command",
  "integrity: device A publishes on B's telemetry and events, and on its own commands topic (only the server may)",
  'connection closed without PUBACK each time, counted (acl_publish); nothing stored for B',
  async (lab) => {
    const a = await lab.device('xpub-a');
    const b = await lab.device('xpub-b');
    const attempts: [string, string][] = [
      [
        topicOf(b, 'telemetry'),
        serializeEnvelope(sealFor(a, 'telemetry', { samples: [truckSample()] }, { seq: 1 })),
      ],
      [
        topicOf(b, 'events'),
        serializeEnvelope(sealFor(a, 'events', { type: 'power', source: 'battery' }, { seq: 2 })),
      ],
      [
        topicOf(a, 'commands'),
        serializeEnvelope(sealFor(a, 'commands', { id: crypto.randomUUID(), op: 'reboot' }, { seq: 3 })),
      ],
    ];
    const evidence: string[] = [];
    let ok = true;
    for (const [topic, payload] of attempts) {
      const before = await lab.rejections();
      const outcome = await withDevice(lab, a, (c) => publishOnce(c, topic, payload));
      const grown = await lab.counted(before, ['acl_publish']);
      const counted = grown.acl_publish !== undefined;
      ok &&= outcome === 'closed' && counted;
      evidence.push(
        `${topic}: ${outcome === 'closed' ? 'connection closed, no PUBACK' : outcome}, ${counted ? 'counted acl_publish' : 'not counted'}`,
      );
    }
    const rows = await lab.target.ctx.store.countReadings(b.info.id);
    evidence.push(`readings stored for ${b.info.id}: ${rows}`);
    return refusedIf(
      ok && rows === 0,
      ok ? 'every PUBLISH refused and counted' : 'a forbidden PUBLISH was accepted or not counted',
      evidence,
    );
  },
  ['broker-acl'],
);

/** SUBSCRIBEs that must each get SUBACK 0x80, counted as acl_subscribe. */
async function refusedSubscriptions(lab: Lab, b: DeviceBundleFiles, filters: string[]): Promise<Outcome> {
  const evidence: string[] = [];
  let ok = true;
  await withDevice(lab, b, async (c) => {
    for (const f of filters) {
      const before = await lab.rejections();
      const granted = await subscribeOnce(c, f);
      const grown = await lab.counted(before, ['acl_subscribe']);
      const refused = granted === 128 || granted === 'closed';
      ok &&= refused && grown.acl_subscribe !== undefined;
      evidence.push(
        `SUBSCRIBE ${f}: ${granted === 128 ? 'SUBACK 0x80 (refused)' : granted === 'closed' ? 'connection closed' : `granted QoS ${granted}`}, ${grown.acl_subscribe ? 'counted acl_subscribe' : 'not counted'}`,
      );
    }
  });
  return refusedIf(
    ok,
    ok
      ? `all ${filters.length} subscriptions refused and counted`
      : 'a subscription was granted or not counted',
    evidence,
  );
}

const crossSubscribe = scenario(
  'mqtt.cross-device-subscribe',
  "Subscribing to another device's topics",
  "confidentiality: device A subscribes to B's commands and B's telemetry",
  'SUBACK 0x80 for each, counted (acl_subscribe)',
  async (lab) => {
    const a = await lab.device('xsub-a');
    const b = await lab.device('xsub-b');
    return refusedSubscriptions(lab, a, [topicOf(b, 'commands'), topicOf(b, 'telemetry')]);
  },
  ['broker-acl'],
);

const wildcard = scenario(
  'mqtt.wildcard-subscribe',
  'Wildcard subscriptions from a device',
  "confidentiality: a device subscribing to every device's uplink through wildcards",
  'SUBACK 0x80 for each, counted (acl_subscribe)',
  async (lab) => {
    const a = await lab.device('wild');
    const p = a.info.topic_prefix;
    return refusedSubscriptions(lab, a, [
      '#',
      `${p}/#`,
      `${p}/devices/+/telemetry`,
      `${p}/devices/${a.info.id}/+`,
      '+/+/+/+/+',
    ]);
  },
  ['broker-acl'],
);

const sys = scenario(
  'mqtt.sys-subscribe',
  '$SYS subscriptions from a device',
  'confidentiality: broker internals (clients, addresses) under $SYS',
  'SUBACK 0x80 for each, counted (acl_subscribe)',
  async (lab) => {
    const a = await lab.device('sys');
    return refusedSubscriptions(lab, a, ['$SYS/#', '$SYS/+/clients/#', '$share/x/#']);
  },
  ['broker-acl'],
);

export const UNAUTHORIZED_MQTT_SCENARIOS: Scenario[] = [
  noCert,
  wrongCa,
  expired,
  revoked,
  idNotCn,
  crossPublish,
  crossSubscribe,
  wildcard,
  sys,
];
