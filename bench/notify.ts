/**
 * Notify: the end-to-end delay from an out-of-range reading published by a device over MQTT
 * (mTLS, envelope, QoS 1) to the alarm's e-mail received by an SMTP server on loopback (implicit
 * TLS): ingest, store, rules, alarm write, routing, outbox, nodemailer, SMTP. One device on a
 * profile whose heat alarm is raised at the first reading above +8 °C; each round publishes one
 * such reading, waits for the mail, then publishes an in-range one and waits for the alarm to
 * resolve. Baseline, same run: nodemailer sending the same kind of mail straight to the same
 * server (connect, TLS, SMTP), which is the floor of any e-mail notification.
 */
import type { MqttClient } from 'mqtt';
import nodemailer from 'nodemailer';
import { resolveProfile } from '../src/coldchain/profiles.ts';
import { makeTestPki } from '../src/pki/test-pki.fixture.ts';
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
import { closeClient, connectDevice, makeEnvelope, send, truckSample } from '../test/helpers/instance.ts';
import { startSmtpStub } from '../test/helpers/notify-stubs.ts';
import type { SummaryRow } from './report.ts';
import { fmtMs, fmtRatio, type Summary, summarize } from './stats.ts';
import { startVigilFixture } from './vigil-fixture.ts';

export interface NotifyOptions {
  alarms: number;
  /** Give up on one round after this. */
  roundTimeoutMs: number;
}

export interface NotifyResult {
  alarms: number;
  /** Publish → e-mail received, ms. */
  delay: Summary;
  /** nodemailer → received, ms. */
  direct: Summary;
}

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`notify bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function runNotify(o: NotifyOptions, log: (s: string) => void): Promise<NotifyResult> {
  const pki = await makeTestPki();
  const tls = { cert: pki.server.certPem, key: pki.server.keyPkcs8Pem };
  const smtp = await startSmtpStub({ tls, secure: true });
  const fx = await startVigilFixture({ notifications: { dashboardUrl: 'https://vigil.example:8443' } });
  let client: MqttClient | undefined;
  try {
    // Baseline: the same mail straight from nodemailer to the same server.
    const direct: number[] = [];
    for (let i = 0; i < o.alarms; i++) {
      const t = nodemailer.createTransport({
        host: 'localhost',
        port: smtp.port,
        secure: true,
        tls: { ca: [pki.certPem] },
      });
      const before = smtp.received.length;
      const t0 = Date.now();
      await t.sendMail({
        from: 'vigil@example.org',
        to: 'ops@example.org',
        subject: `[Vigil REGULATORY] heat ${i}`,
        text: 'x'.repeat(600),
      });
      await until('the direct mail', () => smtp.received.length > before, o.roundTimeoutMs);
      direct.push((smtp.received.at(-1)?.receivedAt ?? Date.now()) - t0);
      t.close();
    }
    log(`  direct nodemailer -> SMTP: p50 ${summarize(direct).p50} ms`);

    const cfg = fx.server.notifications.config;
    await cfg.putChannel(
      'email',
      { host: 'localhost', port: smtp.port, security: 'tls', from: 'vigil@example.org', caPem: pki.certPem },
      null,
      'bench',
    );
    await cfg.put('contact', { id: 'ops', name: 'Ops', email: 'ops@example.org' }, 'bench');
    await cfg.put(
      'rule',
      {
        id: 'heat',
        name: 'Heat',
        rules: ['heat'],
        targets: [{ type: 'contact', id: 'ops', channels: ['email'] }],
      },
      'bench',
    );
    const d = await fx.provision('bench-notify-001');
    const bundle = {
      info: { id: d.id, alg: d.alg, kid: d.kid, secret: d.secret },
      ca: d.ca,
      cert: d.cert,
      key: d.key,
    } as unknown as DeviceBundleFiles;
    await fx.server.alarmService.configureSubject(d.id, {
      profile: resolveProfile({ preset: 'refrigerated', heat: { durationMs: 0 } }),
    });
    client = await connectDevice(fx.url, bundle);
    const alarms = fx.server.alarms;
    const active = async () =>
      (await alarms.list({ subject: d.id, rule: 'heat', state: 'active', limit: 1 })).length > 0;
    const delays: number[] = [];
    let seq = 0;
    const c = client;
    const publish = async (temp: number) => {
      const ts = Date.now();
      await send(
        c,
        d.id,
        makeEnvelope(bundle, 'telemetry', { samples: [truckSample(ts, temp)] }, { seq: ++seq, ts }),
      );
      return ts;
    };
    for (let i = 0; i < o.alarms; i++) {
      const before = smtp.received.length;
      const t0 = await publish(9.5);
      await until('the alarm e-mail', () => smtp.received.length > before, o.roundTimeoutMs);
      delays.push((smtp.received.at(-1)?.receivedAt ?? Date.now()) - t0);
      await publish(5);
      await until('the alarm to resolve', async () => !(await active()), o.roundTimeoutMs);
    }
    return { alarms: o.alarms, delay: summarize(delays), direct: summarize(direct) };
  } finally {
    if (client) await closeClient(client);
    await fx.destroy();
    await smtp.close();
  }
}

/** The summary row: Vigil's p50 and p99 against direct SMTP's p50 (reported, no target). */
export function notifySummaryRow(n: NotifyResult): SummaryRow {
  return {
    id: 'notify',
    workload: `Notify: MQTT reading -> alarm e-mail received, ${n.alarms} alarms`,
    baseline: `direct SMTP p50 ${fmtMs(n.direct.p50)}`,
    measured: `p50 ${fmtMs(n.delay.p50)}`,
    result: `p99 ${fmtMs(n.delay.p99)} (${fmtRatio(n.delay.p50 / n.direct.p50)} of direct p50)`,
    target: '-',
    status: 'info',
  };
}

/** The details block: both distributions. */
export function renderNotify(n: NotifyResult): string {
  const f = (x: Summary) =>
    `p50 ${fmtMs(x.p50)}, p90 ${fmtMs(x.p90)}, p99 ${fmtMs(x.p99)}, max ${fmtMs(x.max)}`;
  return [
    `--- Notify details (${n.alarms} alarms) ---`,
    `reading published -> e-mail received: ${f(n.delay)}`,
    `direct nodemailer -> received (baseline): ${f(n.direct)}`,
  ].join('\n');
}
