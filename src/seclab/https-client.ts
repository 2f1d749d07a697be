import { request } from 'node:https';
import { SESSION_COOKIE } from '../auth/sessions.ts';
import { base32Decode, TOTP_STEP_SECONDS, totpCode } from '../auth/totp.ts';

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** One HTTPS request to the API (a new connection each time), trusting only the given CA. */
export function apiRequest(
  baseUrl: string,
  ca: string,
  o: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    /** Source address of the connection (another loopback address: 127.0.0.2, ...). */
    localAddress?: string;
    timeoutMs?: number;
  },
): Promise<ApiResponse> {
  const url = new URL(o.path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: o.method ?? 'GET',
        ca,
        headers: {
          ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}),
          ...(o.headers ?? {}),
        },
        agent: false,
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(o.timeoutMs ?? 20_000, () => req.destroy(new Error('request timed out')));
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

/** The error code of an API answer. */
export function errCode(r: ApiResponse): string | undefined {
  return (r.json as { error?: { code: string } } | undefined)?.error?.code;
}

/** The session cookie a response sets: the token, `null` when it clears it, undefined when none. */
export function setSessionCookie(r: ApiResponse): string | null | undefined {
  const raw = r.headers['set-cookie'];
  let out: string | null | undefined;
  for (const c of Array.isArray(raw) ? raw : raw ? [raw] : []) {
    const m = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(c);
    if (!m) continue;
    out = /Max-Age=0/i.test(c) || m[1] === '' ? null : (m[1] ?? null);
  }
  return out;
}

/**
 * A browser-like API client: keeps the session cookie it is given and sends `Origin: <server>` on
 * every request, as a browser does for same-origin fetches.
 */
export class ApiSession {
  readonly baseUrl: string;
  readonly ca: string;
  readonly localAddress: string | undefined;
  /** The session cookie value (null when none or cleared). */
  token: string | null = null;

  constructor(baseUrl: string, ca: string, o: { localAddress?: string } = {}) {
    this.baseUrl = baseUrl;
    this.ca = ca;
    this.localAddress = o.localAddress;
  }

  async call(
    path: string,
    o: { method?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
  ): Promise<ApiResponse> {
    const body = o.rawBody ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
    const r = await apiRequest(this.baseUrl, this.ca, {
      path,
      method: o.method ?? (body !== undefined ? 'POST' : 'GET'),
      headers: {
        origin: this.baseUrl,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { cookie: `${SESSION_COOKIE}=${this.token}` } : {}),
        ...(o.headers ?? {}),
      },
      ...(body !== undefined ? { body } : {}),
      ...(this.localAddress ? { localAddress: this.localAddress } : {}),
    });
    const cookie = setSessionCookie(r);
    if (cookie !== undefined) this.token = cookie;
    return r;
  }

  post(path: string, body?: unknown): Promise<ApiResponse> {
    return this.call(path, { method: 'POST', ...(body !== undefined ? { body } : {}) });
  }
}

/** The TOTP code of a base32 secret, `offsetSteps` steps from `nowMs`. */
export function totpAt(secretB32: string, nowMs: number, offsetSteps = 0): string {
  return totpCode(base32Decode(secretB32), nowMs + offsetSteps * TOTP_STEP_SECONDS * 1000);
}

/** Waits until the current TOTP step has at least `marginS` seconds left. */
export async function awayFromStepEdge(marginS = 3): Promise<void> {
  const left = TOTP_STEP_SECONDS - ((Date.now() / 1000) % TOTP_STEP_SECONDS);
  if (left < marginS) await new Promise((r) => setTimeout(r, left * 1000 + 200));
}

/** A user signed in with both factors through the HTTP API. */
export interface SignedInUser {
  name: string;
  password: string;
  /** base32 TOTP secret. */
  secret: string;
  session: ApiSession;
}

/**
 * First sign-in of an account created with a one-time password: login, new password, TOTP
 * enrolment confirmed with the code of step now-1 (so steps now and now+1 stay usable for later
 * sign-ins). Throws on any unexpected answer.
 */
export async function firstSignIn(
  session: ApiSession,
  name: string,
  oneTimePassword: string,
  newPassword: string,
): Promise<SignedInUser> {
  const expect = (r: ApiResponse, status: number, what: string) => {
    if (r.status !== status) throw new Error(`${what} ${name}: ${r.status} ${r.text.slice(0, 200)}`);
    return r.json as Record<string, unknown>;
  };
  const login = expect(
    await session.post('/api/v1/auth/login', { username: name, password: oneTimePassword }),
    200,
    'login',
  );
  if (login.state !== 'password_change_required') throw new Error(`login state ${String(login.state)}`);
  expect(
    await session.post('/api/v1/auth/password', { currentPassword: oneTimePassword, newPassword }),
    200,
    'password change',
  );
  const offer = expect(await session.post('/api/v1/auth/mfa/enrol'), 200, 'enrol') as { secret: string };
  await awayFromStepEdge();
  expect(
    await session.post('/api/v1/auth/mfa/enrol/confirm', { code: totpAt(offer.secret, Date.now(), -1) }),
    200,
    'enrol confirm',
  );
  return { name, password: newPassword, secret: offer.secret, session };
}
