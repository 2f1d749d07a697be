import { maxTokenTtlMs } from '../../auth/api-tokens.ts';
import { type DoctorCheck, type Finding, ok } from '../finding.ts';

/**
 * Accounts that could change everything without a second factor (active admins with no TOTP
 * enrolled), and API tokens without a real expiry: an active token whose stored expiry lies
 * beyond the longest lifetime Vigil issues for its role (only an older version or a changed
 * database holds one; Vigil caps it when checking, but the record is wrong).
 */
export const accountsCheck: DoctorCheck = {
  name: 'accounts',
  async run({ accounts, clock }) {
    const now = clock();
    const findings: Finding[] = [];
    for (const u of await accounts.listUsers()) {
      if (u.role !== 'admin' || u.status !== 'active') continue;
      if (u.totpSecretEnc === null || u.mustEnrolMfa)
        findings.push({
          check: 'accounts',
          severity: 'high',
          message: `admin ${u.name} has no second factor enrolled`,
          fix: `sign in as ${u.name} and enrol TOTP now, or disable the account: vigil user disable ${u.name}`,
        });
    }
    for (const t of await accounts.listApiTokens()) {
      if (t.revokedAt !== null || t.expiresAt <= now) continue;
      if (!Number.isFinite(t.expiresAt) || t.expiresAt - t.createdAt > maxTokenTtlMs(t.role))
        findings.push({
          check: 'accounts',
          severity: 'high',
          message: `API token ${t.id} (${t.label}, ${t.role}) has no expiry within its role's maximum lifetime`,
          fix: `revoke it (DELETE /api/v1/tokens/${t.id}) and create one with an expiry`,
        });
    }
    return findings.length > 0
      ? findings
      : [ok('accounts', 'every active admin has TOTP; every API token expires')];
  },
};
