import type { Page, Browser as PlaywrightBrowser } from 'playwright-core';
import type { Role } from '../../src/auth/principal.ts';
import { SESSION_COOKIE } from '../../src/auth/sessions.ts';
import { base32Decode, TOTP_STEP_SECONDS, totpCode, totpStep } from '../../src/auth/totp.ts';
import { type ApiResponse, apiRequest } from './api-client.ts';
import type { Instance } from './instance.ts';

/**
 * A browser-like API client for one instance: keeps the session cookie it is given (`Set-Cookie`)
 * and sends `Origin: <server>` on every request, as a browser does for same-origin fetches.
 */
export class Browser {
  readonly inst: Instance;
  /** The session cookie value (null when none or cleared). */
  token: string | null = null;
  /** Every session token this browser was given, in order. */
  readonly issued: string[] = [];
  /** The loopback address this browser connects from (default: the system's choice). */
  readonly localAddress: string | undefined;

  constructor(inst: Instance, o: { localAddress?: string } = {}) {
    this.inst = inst;
    this.localAddress = o.localAddress;
  }

  get cookieHeader(): Record<string, string> {
    return this.token ? { cookie: `${SESSION_COOKIE}=${this.token}` } : {};
  }

  async call(
    path: string,
    o: { method?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
  ): Promise<ApiResponse> {
    const body = o.rawBody ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
    const r = await apiRequest(this.inst.httpUrl, this.inst.ctx.ca.certPem, {
      path,
      method: o.method ?? (body !== undefined ? 'POST' : 'GET'),
      headers: {
        origin: this.inst.httpUrl,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...this.cookieHeader,
        ...(o.headers ?? {}),
      },
      ...(body !== undefined ? { body } : {}),
      ...(this.localAddress ? { localAddress: this.localAddress } : {}),
    });
    this.#takeCookie(r);
    return r;
  }

  post(path: string, body?: unknown): Promise<ApiResponse> {
    return this.call(path, { method: 'POST', ...(body !== undefined ? { body } : {}) });
  }

  #takeCookie(r: ApiResponse): void {
    const raw = r.headers['set-cookie'];
    for (const c of Array.isArray(raw) ? raw : raw ? [raw] : []) {
      const m = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(c);
      if (!m) continue;
      if (/Max-Age=0/i.test(c) || m[1] === '') this.token = null;
      else {
        this.token = m[1] ?? null;
        if (this.token) this.issued.push(this.token);
      }
    }
  }
}

/** The error code of an API answer. */
export function errCode(r: ApiResponse): string | undefined {
  return (r.json as { error?: { code: string } } | undefined)?.error?.code;
}

/**
 * Waits until the current TOTP step has at least `marginS` seconds left, so a code computed now
 * for step now+k is judged against the same step by the server.
 */
export async function awayFromStepEdge(marginS = 3): Promise<void> {
  const left = TOTP_STEP_SECONDS - ((Date.now() / 1000) % TOTP_STEP_SECONDS);
  if (left < marginS) await new Promise((r) => setTimeout(r, left * 1000 + 200));
}

/** The TOTP code of a base32 secret, `offsetSteps` steps from now. */
export function totp(secretB32: string, offsetSteps = 0): string {
  return totpCode(base32Decode(secretB32), Date.now() + offsetSteps * TOTP_STEP_SECONDS * 1000);
}

/** A user signed in with both factors, and what it took. */
export interface EnrolledUser {
  name: string;
  role: Role;
  password: string;
  secret: string;
  recoveryCodes: string[];
  /** A browser with a fully signed-in session. */
  browser: Browser;
}

/**
 * First sign-in of an account created with a one-time password, through the HTTP API: login,
 * new password, TOTP enrolment (confirmed with the code of step now-1, so that steps now and
 * now+1 stay usable for later sign-ins of the same account). Throws on any unexpected answer.
 */
export async function firstSignIn(
  inst: Instance,
  name: string,
  role: Role,
  oneTimePassword: string,
): Promise<EnrolledUser> {
  const b = new Browser(inst);
  const expect = (r: ApiResponse, status: number, what: string) => {
    if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.json as Record<string, unknown>;
  };
  const login = expect(
    await b.post('/api/v1/auth/login', { username: name, password: oneTimePassword }),
    200,
    'login',
  );
  if (login.state !== 'password_change_required') throw new Error(`login state ${String(login.state)}`);
  const password = `correct horse ${name} battery staple`;
  const changed = expect(
    await b.post('/api/v1/auth/password', { currentPassword: oneTimePassword, newPassword: password }),
    200,
    'password',
  );
  if (changed.state !== 'mfa_enrol_required') throw new Error(`password state ${String(changed.state)}`);
  const offer = expect(await b.post('/api/v1/auth/mfa/enrol'), 200, 'enrol') as { secret: string };
  await awayFromStepEdge();
  const confirmed = expect(
    await b.post('/api/v1/auth/mfa/enrol/confirm', { code: totp(offer.secret, -1) }),
    200,
    'confirm',
  ) as { state: string; recoveryCodes: string[] };
  return { name, role, password, secret: offer.secret, recoveryCodes: confirmed.recoveryCodes, browser: b };
}

/** Creates an account through AccountService and signs it in (both factors) over HTTP. */
export async function enrolledUser(inst: Instance, name: string, role: Role): Promise<EnrolledUser> {
  const { oneTimePassword } = await inst.server.auth.accounts.createUser({ name, role, actor: 'test' });
  return firstSignIn(inst, name, role, oneTimePassword);
}

/** A half-authenticated session (password only) of an enrolled user. */
export async function passwordOnly(inst: Instance, name: string, password: string): Promise<Browser> {
  const b = new Browser(inst);
  const r = await b.post('/api/v1/auth/login', { username: name, password });
  if (r.status !== 200) throw new Error(`login ${name}: ${r.status} ${r.text}`);
  return b;
}

/** The one-time password of the first admin, from what the first start reported. */
export function firstAdminPassword(inst: Instance): string {
  const line = inst.ctx.created.find((c) => c.startsWith('admin account:')) ?? '';
  const m = /one-time password (\S+)/.exec(line);
  if (!m?.[1]) throw new Error('no first admin password reported');
  return m[1];
}

/**
 * Signs in through the dashboard page with password and the current TOTP code of the user's
 * secret, and waits for the signed-in shell; returns the TOTP step the code belonged to (each step
 * is accepted once, so a later signature needs a later step).
 */
export async function signInPage(page: Page, httpUrl: string, user: EnrolledUser): Promise<number> {
  await page.goto(httpUrl);
  await page.getByTestId('login-username').fill(user.name);
  await page.getByTestId('login-password').fill(user.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('totp-code').waitFor();
  // A code computed just before a step boundary would still pass (one step of tolerance), but
  // staying clear of the edge keeps the tests independent of that.
  await awayFromStepEdge();
  const step = totpStep(Date.now());
  await page.getByTestId('totp-code').fill(totp(user.secret));
  await page.getByTestId('totp-submit').click();
  await page.getByTestId('sign-out').waitFor({ timeout: 15_000 });
  return step;
}

/** Debian's Chromium (CHROMIUM_PATH overrides), as the browser tests drive it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium with the project's flags: no sandbox (containers), no GPU, and no traffic of
 * its own (background networking, component updates, sync), so a test talks to loopback only.
 */
export async function launchChromium(): Promise<PlaywrightBrowser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
