import { existsSync, readFileSync } from 'node:fs';
import { certInfo } from '../../pki/index.ts';
import { x509 } from '../../pki/x509.ts';
import { type DoctorCheck, type Finding, ok } from '../finding.ts';

const DAY = 86_400_000;
/** Vigil re-signs the CRL every 6 h with a validity of 24 h (README, Operations). */
const CRL_STALE_MS = 12 * 3_600_000;

/**
 * Certificates (CA, server, devices and services not revoked) expiring within 30 days, and the
 * CRL's freshness: past its nextUpdate every handshake that checks it fails; older than 12 h
 * means the server has not been re-signing it.
 */
export const certificatesCheck: DoctorCheck = {
  name: 'certificates',
  async run({ paths, store, clock }) {
    const now = clock();
    const findings: Finding[] = [];
    const certs: { name: string; notAfter: number }[] = [];
    for (const [name, path] of [
      ['root CA', paths.caCert],
      ['server certificate', paths.serverCert],
    ] as const) {
      if (existsSync(path)) certs.push({ name, notAfter: certInfo(readFileSync(path, 'utf8')).notAfter });
    }
    for (const c of await store.listCertificates())
      if ((c.kind === 'device' || c.kind === 'service') && c.revokedAt === null)
        certs.push({ name: `${c.kind} certificate ${c.subject} (${c.serial})`, notAfter: c.notAfter });
    for (const c of certs) {
      const days = Math.floor((c.notAfter - now) / DAY);
      if (days >= 30) continue;
      findings.push({
        check: 'certificates',
        severity: days < 7 ? 'high' : 'medium',
        message: days < 0 ? `${c.name} expired ${-days} days ago` : `${c.name} expires in ${days} days`,
        fix:
          c.name === 'server certificate'
            ? 'restart vigil start (it renews the server certificate when under 30 days)'
            : c.name === 'root CA'
              ? 'roll the CA over (docs/protocol.md) before it expires'
              : 'renew or re-provision the device (vigil device add)',
      });
    }
    if (!existsSync(paths.crl)) {
      findings.push({
        check: 'certificates',
        severity: 'high',
        message: `no CRL at ${paths.crl}`,
        fix: 'start vigil (it writes the CRL)',
      });
    } else {
      const crl = new x509.X509Crl(readFileSync(paths.crl, 'utf8'));
      const next = crl.nextUpdate?.getTime();
      const age = now - crl.thisUpdate.getTime();
      if (next !== undefined && next <= now)
        findings.push({
          check: 'certificates',
          severity: 'high',
          message: `CRL expired at ${new Date(next).toISOString()}: clients checking it refuse every certificate`,
          fix: 'start vigil (it re-signs the CRL every 6 h), or run any vigil device command to rebuild it',
        });
      else if (age > CRL_STALE_MS)
        findings.push({
          check: 'certificates',
          severity: 'medium',
          message: `CRL last signed ${Math.round(age / 3_600_000)} h ago (Vigil re-signs it every 6 h while running)`,
          fix: 'check that vigil start runs',
        });
    }
    return findings.length > 0
      ? findings
      : [ok('certificates', `${certs.length} certificates valid for 30 days or more; CRL fresh`)];
  },
};
