import { type DoctorCheck, type Finding, ok } from '../finding.ts';

/**
 * Settings that weaken a production install: `debug` (or `trace`) logging, which writes request
 * details for every call, and `storage.allowInsecure`, which lets the database connection go
 * without TLS.
 */
export const settingsCheck: DoctorCheck = {
  name: 'settings',
  async run({ config }) {
    const findings: Finding[] = [];
    if (config.log.level === 'debug' || config.log.level === 'trace')
      findings.push({
        check: 'settings',
        severity: 'medium',
        message: `log.level is ${config.log.level}: verbose logs in production fill the disk and record more than needed`,
        fix: 'set log.level to info (config.json, or unset VIGIL_LOG_LEVEL)',
      });
    if (config.storage.allowInsecure)
      findings.push({
        check: 'settings',
        severity: 'high',
        message: 'storage.allowInsecure is set: the database connection may run without TLS',
        fix: 'remove storage.allowInsecure and connect over TLS with certificate verification (sslmode=verify-full)',
      });
    return findings.length > 0
      ? findings
      : [ok('settings', `log level ${config.log.level}; no insecure storage setting`)];
  },
};
