/**
 * Attacks on the API's sign-in and sessions (docs/security.md §9): password guessing, stolen or
 * misused tokens, cross-site requests, session fixation and a TOTP code used twice.
 */
import { randomBytes } from 'node:crypto';
import {
  type ApiResponse,
  ApiSession,
  apiRequest,
  awayFromStepEdge,
  errCode,
  totpAt,
} from '../https-client.ts';
import type { Lab } from '../lab.ts';
import { FULL_ONLY, guarded, type Outcome, QUICK_AND_FULL, refusedIf, type Scenario } from '../scenario.ts';

function scenario(
  s: Omit<Scenario, 'family' | 'run' | 'properties' | 'layers'> &
    Partial<Pick<Scenario, 'properties' | 'layers'>> & {
      go: (lab: Lab) => Promise<Outcome>;
    },
): Scenario {
  const { go, ...rest } = s;
  return {
    family: 'unauthorized',
    layers: ['api-auth'],
    properties: ['confidentiality', 'integrity'],
    ...rest,
    run: guarded((ctx) => go(ctx.lab)),
  };
}

const show = (r: ApiResponse) => `${r.status}${errCode(r) ? ` ${errCode(r)}` : ''}`;

/** Audit entries of `action` about `object` since `since` (seclab's admin reads the log). */
async function audited(lab: Lab, action: string, object: string, since: number): Promise<number> {
  const admin = await lab.admin();
  const r = await admin.session.call(
    `/api/v1/audit?action=${action}&limit=1000&since=${new Date(since).toISOString()}`,
  );
  if (r.status !== 200) return 0;
  const entries = (r.json as { entries: { object: string | null }[] }).entries;
  return entries.filter((e) => e.object === object).length;
}

/** Signs `name` in from a fresh session at `address` with password and the TOTP code of `step`. */
async function signIn(lab: Lab, name: string, password: string, code: string, address: string) {
  const s = new ApiSession(lab.target.httpUrl, lab.target.caPem, { localAddress: address });
  const login = await s.post('/api/v1/auth/login', { username: name, password });
  const mfa = login.status === 200 ? await s.post('/api/v1/auth/mfa', { code }) : undefined;
  return { session: s, login, mfa };
}

/** The real user signs in from a clean `address` with a fresh TOTP code. */
async function realSignIn(lab: Lab, user: Awaited<ReturnType<Lab['user']>>, address: string) {
  await awayFromStepEdge();
  return signIn(lab, user.name, user.password, totpAt(user.secret, Date.now()), address);
}

/** One password tried for `username` from `address`, by a client without a session. */
function loginAttempt(lab: Lab, address: string, username: string, password: string): Promise<ApiResponse> {
  return apiRequest(lab.target.httpUrl, lab.target.caPem, {
    method: 'POST',
    path: '/api/v1/auth/login',
    localAddress: address,
    headers: { origin: lab.target.httpUrl, 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
}

const bruteForce = scenario({
  id: 'api.login-bruteforce',
  title: 'Password guessing against one account from one address',
  attacked:
    "an operator's account: 30 wrong passwords as fast as the server answers, from one loopback address",
  expected:
    'held back with 429 VIGIL_ERR_LOCKED after the 5th failure, at most 20 passwords checked, audited; the real user still signs in from another address',
  properties: ['confidentiality', 'integrity', 'availability'],
  modes: QUICK_AND_FULL,
  timeoutMs: 120_000,
  go: async (lab) => {
    const victim = await lab.user('operator');
    const since = Date.now();
    const attacker = lab.address(10);
    const tally: Record<string, number> = {};
    let retryAfter: string | undefined;
    for (let i = 0; i < 30; i++) {
      const r = await loginAttempt(
        lab,
        attacker,
        victim.name,
        `guess-${i}-${randomBytes(4).toString('hex')}`,
      );
      tally[show(r)] = (tally[show(r)] ?? 0) + 1;
      retryAfter ??= typeof r.headers['retry-after'] === 'string' ? r.headers['retry-after'] : undefined;
    }
    const real = await realSignIn(lab, victim, lab.address(11));
    const failedAudit = await audited(lab, 'auth.sign_in_failed', victim.name, since);
    const throttledAudit = await audited(lab, 'auth.throttled', victim.name, since);
    const checked = tally['401 VIGIL_ERR_AUTH'] ?? 0;
    const held = tally['429 VIGIL_ERR_LOCKED'] ?? 0;
    const succeeded = tally['200'] ?? 0;
    const realOk = real.login.status === 200 && real.mfa?.status === 200;
    const ok =
      succeeded === 0 && held > 0 && checked <= 20 && realOk && failedAudit > 0 && throttledAudit > 0;
    return refusedIf(
      ok,
      ok
        ? `${checked} passwords checked, ${held} attempts held back; the real user signed in`
        : 'guessing was not bounded, or locked the real user out, or went unaudited',
      [
        `attempts: ${Object.entries(tally)
          .map(([k, v]) => `${v}x ${k}`)
          .join(', ')}${retryAfter ? `; Retry-After ${retryAfter} s` : ''}`,
        `real user from a clean address: login ${show(real.login)}, second factor ${real.mfa ? show(real.mfa) : 'not reached'}`,
        `audited: ${failedAudit} auth.sign_in_failed, ${throttledAudit} auth.throttled`,
      ],
    );
  },
});

const bruteForceDistributed = scenario({
  id: 'api.login-bruteforce-distributed',
  title: 'Password guessing against one account from 40 addresses',
  attacked: "an operator's account guessed from 40 loopback addresses, 3 passwords each (120 guesses)",
  expected:
    'the account goes under attack at 100 failures per hour, every guessing address is then held back; the real user still signs in from a clean address (no lockout denial of service)',
  properties: ['confidentiality', 'integrity', 'availability'],
  modes: FULL_ONLY,
  timeoutMs: 240_000,
  go: async (lab) => {
    const victim = await lab.user('operator');
    const since = Date.now();
    const tally: Record<string, number> = {};
    const addresses = Array.from({ length: 40 }, (_, i) => lab.address(100 + i));
    await Promise.all(
      addresses.map(async (address) => {
        for (let i = 0; i < 3; i++) {
          const r = await loginAttempt(lab, address, victim.name, `guess-${randomBytes(6).toString('hex')}`);
          tally[show(r)] = (tally[show(r)] ?? 0) + 1;
        }
      }),
    );
    // One more round from the guessing addresses: held back now that the account is under attack.
    const again = await loginAttempt(lab, addresses[0] ?? lab.address(100), victim.name, victim.password);
    const real = await realSignIn(lab, victim, lab.address(200));
    const underAttack = await audited(lab, 'auth.account_under_attack', victim.name, since);
    const realOk = real.login.status === 200 && real.mfa?.status === 200;
    const ok = (tally['200'] ?? 0) === 0 && realOk && underAttack > 0 && again.status === 429;
    return refusedIf(
      ok,
      ok
        ? 'no guess succeeded; the account was flagged; the real user signed in'
        : 'guessing succeeded, was not flagged, or locked the real user out',
      [
        `guesses: ${Object.entries(tally)
          .map(([k, v]) => `${v}x ${k}`)
          .join(', ')}`,
        `the right password from a guessing address afterwards: ${show(again)}`,
        `real user from a clean address: login ${show(real.login)}, second factor ${real.mfa ? show(real.mfa) : 'not reached'}`,
        `audited: ${underAttack} auth.account_under_attack`,
      ],
    );
  },
});

const tokenMisuse = scenario({
  id: 'api.token-misuse',
  title: 'API token misuse',
  attacked:
    'the API with a made-up token, a revoked one, one whose owner was disabled, a viewer token used to write, an admin token used to manage users and tokens, and tokens passed in the query string or a cookie',
  expected:
    '401 VIGIL_ERR_AUTH or 403 VIGIL_ERR_FORBIDDEN for each; the control (a valid viewer token reading devices) answers 200',
  modes: QUICK_AND_FULL,
  timeoutMs: 120_000,
  go: async (lab) => {
    const admin = await lab.admin();
    const mint = async (s: ApiSession, role: string) => {
      const r = await s.post('/api/v1/tokens', { label: `seclab ${role}`, role, ttlDays: 1 });
      if (r.status !== 201) throw new Error(`create ${role} token: ${r.status}`);
      return r.json as { token: string; apiToken: { id: string } };
    };
    const call = (
      token: string,
      method: string,
      path: string,
      body?: unknown,
      extra: Record<string, string> = {},
    ) =>
      apiRequest(lab.target.httpUrl, lab.target.caPem, {
        method,
        path,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...extra,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    const viewer = await mint(admin.session, 'viewer');
    const revoked = await mint(admin.session, 'viewer');
    const del = await admin.session.call(`/api/v1/tokens/${revoked.apiToken.id}`, { method: 'DELETE' });
    if (del.status >= 300) throw new Error(`revoke token: ${del.status}`);
    const adminToken = await mint(admin.session, 'admin');
    const leaver = await lab.user('admin');
    const orphan = await mint(leaver.session, 'operator');
    await lab.auth.accounts.disableUser(leaver.name, 'seclab');
    const cases: [string, Promise<ApiResponse>, number[]][] = [
      [
        'made-up token',
        call(`vgt_${randomBytes(24).toString('base64url')}`, 'GET', '/api/v1/devices'),
        [401],
      ],
      ['revoked token', call(revoked.token, 'GET', '/api/v1/devices'), [401]],
      ['token of a disabled admin', call(orphan.token, 'GET', '/api/v1/devices'), [401, 403]],
      [
        'viewer token adding a device',
        call(viewer.token, 'POST', '/api/v1/devices', {
          id: lab.name('tok-dev'),
          profile: 'vaccine-transport',
        }),
        [403],
      ],
      [
        'admin token adding a user',
        call(adminToken.token, 'POST', '/api/v1/users', { name: lab.name('tokuser'), role: 'admin' }),
        [403],
      ],
      [
        'admin token minting a token',
        call(adminToken.token, 'POST', '/api/v1/tokens', { label: 'x', role: 'admin' }),
        [403],
      ],
      ['token in the query string', call('', 'GET', `/api/v1/devices?access_token=${viewer.token}`), [401]],
      [
        'token as the session cookie',
        call('', 'GET', '/api/v1/devices', undefined, { cookie: `__Host-vigil_session=${viewer.token}` }),
        [401],
      ],
    ];
    const control = await call(viewer.token, 'GET', '/api/v1/devices');
    const evidence: string[] = [];
    let ok = control.status === 200;
    for (const [what, p, want] of cases) {
      const r = await p;
      const good = want.includes(r.status);
      ok &&= good;
      evidence.push(`${what}: ${show(r)}${good ? '' : ` (want ${want.join(' or ')})`}`);
    }
    evidence.push(`control, valid viewer token reading devices: ${show(control)}`);
    return refusedIf(
      ok,
      ok ? `all ${cases.length} misuses refused` : 'a misused token was accepted',
      evidence,
    );
  },
});

const csrf = scenario({
  id: 'api.csrf',
  title: 'Cross-site request forgery with a signed-in admin session',
  attacked:
    "an admin's session cookie riding on state-changing requests from another origin, without an Origin, or over a downgraded scheme",
  expected:
    '403 VIGIL_ERR_CSRF before anything else; the same request with the right Origin reaches the body check',
  properties: ['integrity'],
  modes: QUICK_AND_FULL,
  timeoutMs: 60_000,
  go: async (lab) => {
    const admin = await lab.admin();
    const cookie = `__Host-vigil_session=${admin.session.token ?? ''}`;
    const post = (headers: Record<string, string>) =>
      apiRequest(lab.target.httpUrl, lab.target.caPem, {
        method: 'POST',
        path: '/api/v1/shipments',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        // Malformed on purpose: a forged request that got through would stop at the body check.
        body: '{',
      });
    const plainHttp = lab.target.httpUrl.replace('https:', 'http:');
    const cases: [string, Record<string, string>][] = [
      ['Origin https://attacker.example', { origin: 'https://attacker.example' }],
      ['no Origin header', {}],
      ['Origin null (sandboxed frame)', { origin: 'null' }],
      [`Origin ${plainHttp} (scheme downgraded)`, { origin: plainHttp }],
      [
        'text/plain "simple request" from attacker.example',
        { origin: 'https://attacker.example', 'content-type': 'text/plain' },
      ],
    ];
    const evidence: string[] = [];
    let ok = true;
    for (const [what, h] of cases) {
      const r = await post(h);
      const good = r.status === 403 && errCode(r) === 'VIGIL_ERR_CSRF';
      ok &&= good;
      evidence.push(`${what}: ${show(r)}`);
    }
    const control = await post({ origin: lab.target.httpUrl });
    evidence.push(`control, same-origin: ${show(control)}`);
    ok &&= control.status === 400;
    return refusedIf(
      ok,
      ok ? `all ${cases.length} forged requests refused` : 'a cross-site request got past the origin check',
      evidence,
    );
  },
});

const fixation = scenario({
  id: 'api.session-fixation',
  title: 'Session fixation',
  attacked:
    "sign-in: an attacker plants a session id in the victim's browser before sign-in, or keeps the id of the password step",
  expected:
    'sign-in ignores the planted id; every step (password, second factor) issues a new id; the planted and the superseded ids open nothing; logout ends the session',
  modes: QUICK_AND_FULL,
  timeoutMs: 60_000,
  go: async (lab) => {
    const victim = await lab.user('operator');
    const planted = randomBytes(32).toString('base64url');
    const s = new ApiSession(lab.target.httpUrl, lab.target.caPem);
    s.token = planted;
    const login = await s.post('/api/v1/auth/login', { username: victim.name, password: victim.password });
    const half = s.token;
    await awayFromStepEdge();
    const mfa = await s.post('/api/v1/auth/mfa', { code: totpAt(victim.secret, Date.now()) });
    const full = s.token;
    const as = (token: string | null, path: string) => {
      const x = new ApiSession(lab.target.httpUrl, lab.target.caPem);
      x.token = token;
      return x.call(path);
    };
    const plantedMe = await as(planted, '/api/v1/auth/me');
    const halfDevices = await as(half, '/api/v1/devices');
    const fullDevices = await as(full, '/api/v1/devices');
    await s.post('/api/v1/auth/logout');
    const afterLogout = await as(full, '/api/v1/devices');
    const ok =
      login.status === 200 &&
      mfa.status === 200 &&
      half !== planted &&
      full !== half &&
      plantedMe.status === 401 &&
      (halfDevices.status === 401 || halfDevices.status === 403) &&
      fullDevices.status === 200 &&
      afterLogout.status === 401;
    return refusedIf(
      ok,
      ok
        ? 'new id at each step; planted, superseded and logged-out ids refused'
        : 'a planted or superseded session id kept its power',
      [
        `login with a planted cookie: ${show(login)}, ${half === planted ? 'the planted id was KEPT' : 'a new id was issued'}`,
        `second factor: ${show(mfa)}, ${full === half ? 'the id was KEPT' : 'a new id was issued'}`,
        `planted id, GET /api/v1/auth/me: ${show(plantedMe)}`,
        `password-step id after the second factor, GET /api/v1/devices: ${show(halfDevices)}`,
        `final id, GET /api/v1/devices: ${show(fullDevices)} (control)`,
        `final id after logout: ${show(afterLogout)}`,
      ],
    );
  },
});

const totpReuse = scenario({
  id: 'api.totp-reuse',
  title: 'A TOTP code used twice',
  attacked:
    "the second factor: a code seen over the victim's shoulder (or phished) replayed in its 30 s step",
  expected: 'the second use is refused (VIGIL_ERR_TOTP, RFC 6238 §5.2), as is the code of the enrolment step',
  modes: QUICK_AND_FULL,
  timeoutMs: 60_000,
  go: async (lab) => {
    const victim = await lab.user('quality');
    await awayFromStepEdge(6);
    const code = totpAt(victim.secret, Date.now());
    const first = await signIn(lab, victim.name, victim.password, code, lab.address(20));
    const second = await signIn(lab, victim.name, victim.password, code, lab.address(21));
    const enrolCode = await signIn(
      lab,
      victim.name,
      victim.password,
      totpAt(victim.secret, Date.now(), -1),
      lab.address(22),
    );
    const refused = (r: ApiResponse | undefined) => r !== undefined && r.status >= 400 && r.status < 500;
    const ok = first.mfa?.status === 200 && refused(second.mfa) && refused(enrolCode.mfa);
    return refusedIf(ok, ok ? 'the replayed code was refused' : 'a TOTP code was accepted twice', [
      `first use: ${first.mfa ? show(first.mfa) : show(first.login)}`,
      `same code again (new sign-in): ${second.mfa ? show(second.mfa) : show(second.login)}`,
      `code of the step used at enrolment: ${enrolCode.mfa ? show(enrolCode.mfa) : show(enrolCode.login)}`,
    ]);
  },
});

export const API_ABUSE_SCENARIOS: Scenario[] = [
  bruteForce,
  bruteForceDistributed,
  tokenMisuse,
  csrf,
  fixation,
  totpReuse,
];
