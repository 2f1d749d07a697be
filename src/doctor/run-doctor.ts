import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { VigilContext } from '../data-dir/context.ts';
import { accountsCheck } from './checks/accounts.ts';
import { backupCheck } from './checks/backup.ts';
import { certificatesCheck } from './checks/certificates.ts';
import { clockCheck } from './checks/clock.ts';
import { diskCheck } from './checks/disk.ts';
import { fileModesCheck } from './checks/file-modes.ts';
import { masterKeyCheck } from './checks/master-key.ts';
import { powerCheck } from './checks/power.ts';
import { settingsCheck } from './checks/settings.ts';
import { sinksCheck } from './checks/sinks.ts';
import { tlsCheck } from './checks/tls.ts';
import {
  type DoctorCheck,
  type DoctorContext,
  type Exec,
  type Finding,
  SEVERITY_ORDER,
  type TlsTarget,
} from './finding.ts';

/** Every check, in the order the report lists them. */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = [
  fileModesCheck,
  masterKeyCheck,
  tlsCheck,
  certificatesCheck,
  backupCheck,
  powerCheck,
  diskCheck,
  clockCheck,
  accountsCheck,
  sinksCheck,
  settingsCheck,
];

/** Runs a command with a deadline; its stdout, or null when it is missing or fails. */
export const execOrNull: Exec = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: 5000, encoding: 'utf8' }, (err, stdout) => resolve(err ? null : stdout));
  });

/** The listeners of a `vigil start` running on this data directory (its lock names a live pid). */
export function runningTlsTargets(ctx: Pick<VigilContext, 'paths' | 'config'>): TlsTarget[] {
  let pid = 0;
  try {
    pid = Number(readFileSync(ctx.paths.lock, 'utf8').trim());
    process.kill(pid, 0);
  } catch {
    return [];
  }
  if (!(pid > 0)) return [];
  const loopback = (host: string) =>
    host === '::' || host === '0.0.0.0' || host === '' ? '127.0.0.1' : host;
  const targets: TlsTarget[] = [
    { name: 'https', host: loopback(ctx.config.http.host), port: ctx.config.http.port },
  ];
  if (!ctx.config.mqtt.external.url)
    targets.push({ name: 'mqtts', host: loopback(ctx.config.mqtt.host), port: ctx.config.mqtt.port });
  // Firmware downloads (docs/ota.md) come with OTA campaigns, on either store (`--role all`).
  targets.push({ name: 'firmware', host: loopback(ctx.config.http.host), port: ctx.config.ota.port });
  return targets;
}

/** The doctor's view of an opened data directory. */
export function doctorContext(
  ctx: VigilContext,
  o: { env: NodeJS.ProcessEnv; exec?: Exec; tlsTargets?: TlsTarget[] },
): DoctorContext {
  return {
    paths: ctx.paths,
    config: ctx.config,
    env: o.env,
    store: ctx.store,
    accounts: ctx.accountStore,
    alarms: ctx.alarmStore,
    outbox: ctx.sinkOutbox,
    caPem: ctx.ca.certPem,
    tlsTargets: o.tlsTargets ?? runningTlsTargets(ctx),
    clock: ctx.clock,
    exec: o.exec ?? execOrNull,
  };
}

/** Runs every check; a check that fails itself is reported as a finding, never thrown. */
export async function runDoctor(ctx: DoctorContext, checks = DOCTOR_CHECKS): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const c of checks) {
    try {
      findings.push(...(await c.run(ctx)));
    } catch (err) {
      findings.push({
        check: c.name,
        severity: 'medium',
        message: `the check could not run: ${(err as Error).message}`,
        fix: 'run vigil doctor as the user that runs Vigil',
      });
    }
  }
  return findings.sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
}
