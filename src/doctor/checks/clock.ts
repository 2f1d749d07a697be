import type { DoctorCheck, Finding } from '../finding.ts';

/** Beyond this the ingest refuses devices' timestamps as too far in the future (ingest.maxFutureSkewMs). */
const HIGH_SKEW_S = 60;

/**
 * The host clock against NTP: device timestamps, certificate validity, TOTP codes and alarm times
 * are all judged by it. Asks `timedatectl` (systemd-timesyncd or any NTP client systemd knows),
 * else `chronyc tracking` for the measured offset.
 */
export const clockCheck: DoctorCheck = {
  name: 'clock',
  async run({ exec }) {
    const chrony = await exec('chronyc', ['tracking']);
    if (chrony) {
      const offset = /System time\s*:\s*([\d.]+) seconds (fast|slow)/.exec(chrony);
      const leap = /Leap status\s*:\s*(.+)/.exec(chrony)?.[1]?.trim();
      const s = offset ? Number(offset[1]) : Number.NaN;
      if (leap && leap !== 'Normal')
        return [
          {
            check: 'clock',
            severity: 'high',
            message: `chrony is not synchronised (leap status ${leap})`,
            fix: 'check chrony sources: chronyc sources -v',
          },
        ];
      if (!(s <= HIGH_SKEW_S))
        return [
          {
            check: 'clock',
            severity: 'high',
            message: `clock off by ${offset ? `${s} s` : 'an unknown amount'} (chrony)`,
            fix: 'let chrony step the clock: chronyc makestep',
          },
        ];
      if (s > 1)
        return [
          {
            check: 'clock',
            severity: 'medium',
            message: `clock off by ${s} s (chrony)`,
            fix: 'check chrony sources: chronyc sources -v',
          },
        ];
      return [{ check: 'clock', severity: 'ok', message: `clock within ${s} s of NTP (chrony)`, fix: null }];
    }
    const synced = (await exec('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']))?.trim();
    const findings: Finding[] = [];
    if (synced === 'yes')
      findings.push({
        check: 'clock',
        severity: 'ok',
        message: 'clock synchronised with NTP (timedatectl)',
        fix: null,
      });
    else if (synced === 'no')
      findings.push({
        check: 'clock',
        severity: 'high',
        message: 'clock not synchronised with NTP (timedatectl NTPSynchronized=no)',
        fix: 'timedatectl set-ntp true, and check that an NTP server is reachable',
      });
    else
      findings.push({
        check: 'clock',
        severity: 'low',
        message: 'cannot tell whether the clock is synchronised (neither chronyc nor timedatectl answered)',
        fix: 'run an NTP client (chrony or systemd-timesyncd)',
      });
    return findings;
  },
};
