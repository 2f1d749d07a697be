/**
 * Key and certificate lifecycle workload (`--only=rotation`): N simulated devices (default 1,000)
 * connected over mTLS to an in-process Vigil, each publishing one reading per second, then
 *
 * - baseline: one `identify` command to every device, end to end (queued → acked);
 * - rotation: `rotate_key` for every device (ECDH P-256 + HKDF on both sides, ack, switch, old kid
 *   retired at the first message under the new one), wall time and process CPU;
 * - renewals: `renew_cert` for a subset (device key generation, CSR, checks, issuing, `cert`
 *   command, reconnect with the new certificate, old one revoked), renewals/s, against the raw
 *   rate of issuing certificates from CSRs in the same run.
 *
 * Readings lost (recorded by the devices but not stored) must be 0. Devices and server share this
 * process, so the CPU figure covers both sides.
 */

import { join } from 'node:path';
import { addDevice } from '../src/devices/device-service.ts';
import { issueClientCert } from '../src/pki/issue-client.ts';
import { EC_P256, ECDSA_SHA256, subtle, type WebCryptoKeyPair, x509 } from '../src/pki/x509.ts';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { readDeviceBundle } from '../src/sim/device-bundle.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { nowMs } from './clock.ts';
import type { SummaryRow } from './report.ts';
import { fmtNum } from './stats.ts';
import { startVigilFixture } from './vigil-fixture.ts';

export interface RotationOptions {
  devices: number;
  renewals: number;
  /** Upper bound on every phase (ms). */
  phaseTimeoutMs: number;
}

export interface RotationResult {
  devices: number;
  baselineMs: number;
  rotationMs: number;
  rotationCpuMs: number;
  lost: number;
  recorded: number;
  renewals: number;
  renewalsPerSec: number;
  rawIssuesPerSec: number;
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = nowMs() + timeoutMs;
  while (!(await fn())) {
    if (nowMs() > end) throw new Error(`rotation bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function sample(): Record<string, unknown> {
  return {
    ts: Date.now() - 1000,
    temp_c: 4.5,
    rh_pct: 50,
    lat: 52.37,
    lon: 4.89,
    bat_pct: 90,
    power: 'mains',
  };
}

export async function runRotation(o: RotationOptions, log: (s: string) => void): Promise<RotationResult> {
  const fx = await startVigilFixture({
    mqtt: { maxConnectionsPerAddress: o.devices + 100, maxConnections: o.devices + 100 },
    commands: { resendAfterSeconds: 30 },
  });
  const sims: SimDevice[] = [];
  let pump: NodeJS.Timeout | undefined;
  try {
    log(`  provisioning and connecting ${o.devices} devices`);
    const tp = nowMs();
    for (let i = 0; i < o.devices; i++) {
      const id = `rot-bench-${String(i).padStart(5, '0')}`;
      const b = await addDevice(fx.ctx, {
        id,
        profile: 'vaccine-transport',
        outDir: join(fx.dataDir, 'bundles', id),
        actor: 'bench',
      });
      sims.push(new SimDevice(readDeviceBundle(b.dir), { brokerUrl: fx.url }));
    }
    for (let i = 0; i < sims.length; i += 50)
      await Promise.all(sims.slice(i, i + 50).map((s) => s.connect()));
    log(`  ${o.devices} devices connected in ${fmtNum((nowMs() - tp) / 1000, 1)} s`);
    let recorded = 0;
    // Every device records one reading a second, spread over the second.
    let turn = 0;
    pump = setInterval(() => {
      const slice = Math.ceil(sims.length / 10);
      for (const s of sims.slice(turn * slice, (turn + 1) * slice)) {
        s.record(sample(), [], true);
        recorded++;
      }
      turn = (turn + 1) % 10;
    }, 100);
    const { commands, rotation, renewal } = lifecycleOf(fx.server);

    log('  baseline: one identify command per device');
    let t0 = nowMs();
    const ids = [];
    for (const s of sims)
      ids.push((await commands.send({ deviceId: s.id, op: 'identify', actor: 'bench' })).id);
    await until(
      'identify acks',
      async () =>
        (await fx.ctx.lifecycleStores.commands.list({ states: ['acked'], limit: 100_000 })).length >=
        ids.length,
      o.phaseTimeoutMs,
    );
    const baselineMs = nowMs() - t0;
    log(`    ${fmtNum(baselineMs / 1000, 1)} s`);

    log('  rotation: rotate_key for every device');
    const cpu0 = process.cpuUsage();
    t0 = nowMs();
    for (const s of sims) await rotation.rotate(s.id, 'bench');
    await until(
      'rotations completed',
      async () =>
        (await fx.ctx.lifecycleStores.rotations.latestRotations()).filter((r) => r.state === 'completed')
          .length >= sims.length,
      o.phaseTimeoutMs,
    );
    const rotationMs = nowMs() - t0;
    const cpu = process.cpuUsage(cpu0);
    const rotationCpuMs = (cpu.user + cpu.system) / 1000;
    log(`    ${fmtNum(rotationMs / 1000, 1)} s, CPU ${fmtNum(rotationCpuMs / 1000, 1)} s`);

    log(`  renewals: renew_cert for ${o.renewals} devices`);
    const renewing = sims.slice(0, o.renewals);
    t0 = nowMs();
    for (const s of renewing) await renewal.renew(s.id, 'bench');
    await until(
      'renewals completed',
      async () =>
        (await fx.ctx.store.queryAudit({ action: 'cert.renewal_completed', limit: 100_000 })).length >=
        renewing.length,
      o.phaseTimeoutMs,
    );
    const renewalMs = nowMs() - t0;

    clearInterval(pump);
    pump = undefined;
    await until(
      'readings stored',
      async () => (await fx.ctx.store.countReadings()) >= recorded,
      Math.min(o.phaseTimeoutMs, 60_000),
    ).catch(() => {});
    const stored = await fx.ctx.store.countReadings();

    // Baseline for renewals: issuing certificates from CSRs, nothing else.
    const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as WebCryptoKeyPair;
    const csrPem = (
      await x509.Pkcs10CertificateRequestGenerator.create({
        name: 'CN=raw-0001',
        keys,
        signingAlgorithm: ECDSA_SHA256,
      })
    ).toString('pem');
    const n = 200;
    t0 = nowMs();
    for (let i = 0; i < n; i++)
      await issueClientCert({
        ca: fx.ctx.ca,
        commonName: 'raw-0001',
        kind: 'device',
        now: new Date(),
        csrPem,
      });
    const rawIssuesPerSec = n / ((nowMs() - t0) / 1000);

    return {
      devices: sims.length,
      baselineMs,
      rotationMs,
      rotationCpuMs,
      recorded,
      lost: Math.max(0, recorded - stored),
      renewals: renewing.length,
      renewalsPerSec: renewing.length / (renewalMs / 1000),
      rawIssuesPerSec,
    };
  } finally {
    if (pump) clearInterval(pump);
    for (let i = 0; i < sims.length; i += 100)
      await Promise.all(sims.slice(i, i + 100).map((s) => s.close()));
    await fx.destroy();
  }
}

export function rotationSummaryRows(r: RotationResult): SummaryRow[] {
  return [
    {
      id: 'rotation',
      workload: `Key rotation of ${r.devices} devices publishing 1 reading/s (ECDH, ack, switch, retire)`,
      baseline: `${r.devices} identify commands ${fmtNum(r.baselineMs / 1000, 1)} s`,
      measured: `${fmtNum(r.rotationMs / 1000, 1)} s, CPU ${fmtNum(r.rotationCpuMs / 1000, 1)} s`,
      result: `${(r.rotationMs / r.baselineMs).toFixed(2)}x`,
      target: '0 readings lost',
      status: r.lost === 0 ? 'ok' : 'MISSED',
    },
    {
      id: 'rotation',
      workload: `Readings lost during rotation and renewal (of ${r.recorded})`,
      baseline: '-',
      measured: String(r.lost),
      result: String(r.lost),
      target: '0',
      status: r.lost === 0 ? 'ok' : 'MISSED',
    },
    {
      id: 'rotation',
      workload: `Certificate renewals/s (${r.renewals} devices: CSR, issue, cert command, reconnect, revoke)`,
      baseline: `issue from CSR ${fmtNum(r.rawIssuesPerSec)}/s`,
      measured: `${fmtNum(r.renewalsPerSec, 1)}/s`,
      result: `${(r.renewalsPerSec / r.rawIssuesPerSec).toFixed(2)}x`,
      target: '-',
      status: 'info',
    },
  ];
}
