/**
 * The API client: same-origin fetch with the session cookie, JSON in and out. Browsers send
 * `Origin` on every POST/DELETE from fetch, which the server's CSRF guard checks (docs/api.md).
 */

/** A refusal of the API, `{ error: { code, message } }` with its HTTP status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds, from `Retry-After` on 429. */
  readonly retryAfterS: number | null;

  constructor(status: number, code: string, message: string, retryAfterS: number | null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterS = retryAfterS;
  }
}

type Unauthorized = () => void;
let onUnauthorized: Unauthorized | null = null;

/** Called when a signed-in call answers 401 (session expired or ended by an admin). */
export function setUnauthorizedHandler(fn: Unauthorized | null): void {
  onUnauthorized = fn;
}

function retryAfter(res: Response): number | null {
  const v = res.headers.get('retry-after');
  if (!v) return null;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n));
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - Date.now()) / 1000)) : null;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Do not call the unauthorized handler on 401 (sign-in steps expect 401 as an answer). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

/** Calls `/api/v1{path}` and returns the parsed JSON (null for 204). */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached.', null);
  }
  if (res.status === 204) return null as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
    const err = new ApiError(
      res.status,
      e?.code ?? `HTTP_${res.status}`,
      e?.message ?? res.statusText,
      retryAfter(res),
    );
    if (res.status === 401 && !opts.quiet401 && onUnauthorized) onUnauthorized();
    throw err;
  }
  return json as T;
}

/** A short sentence for an API error, for people (never the raw server text alone). */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Something went wrong. Try again.';
  switch (err.code) {
    case 'NETWORK':
      return 'The server cannot be reached. Check the connection and try again.';
    case 'VIGIL_ERR_AUTH':
      return 'Your session has ended. Sign in again.';
    case 'VIGIL_ERR_FORBIDDEN':
      return 'Your role does not allow this action.';
    case 'VIGIL_ERR_MFA_REQUIRED':
      return 'This action needs a completed second factor. Sign in again with your authenticator code.';
    case 'VIGIL_ERR_CSRF':
      return 'The request was refused because it did not come from this page. Reload and try again.';
    case 'VIGIL_ERR_NOT_FOUND':
      return 'Not found. It may have been removed.';
    case 'VIGIL_ERR_LOCKED':
      return `Too many attempts. Try again in ${fmtWait(err.retryAfterS ?? 60)}.`;
    case 'VIGIL_ERR_RATE_LIMIT':
      return `Too many requests. Try again in ${fmtWait(err.retryAfterS ?? 10)}.`;
    case 'VIGIL_ERR_USER_EXISTS':
      return 'A user with this name already exists.';
    case 'VIGIL_ERR_DEVICE_EXISTS':
      return 'A device with this id already exists.';
    case 'VIGIL_ERR_USER_NAME':
      return 'User names are 3 to 32 characters: lower-case letters, digits, dot, dash or underscore, starting with a letter.';
    case 'VIGIL_ERR_DEVICE_ID':
      return 'Device ids are 3 to 64 characters: lower-case letters, digits and dashes.';
    case 'VIGIL_ERR_SESSION':
      return 'Your session has expired. Sign in again.';
    case 'VIGIL_ERR_VALIDATION':
    case 'VIGIL_ERR_BAD_REQUEST':
      return `The server refused the input: ${err.message}`;
    default:
      return err.status >= 500
        ? 'The server had a problem. Try again in a moment.'
        : `${err.message || 'Request refused'} (${err.code})`;
  }
}

/** `90` → `2 min`, `30` → `30 s`. */
export function fmtWait(s: number): string {
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  const m = Math.ceil(s / 60);
  return m < 60 ? `${m} min` : `${Math.ceil(m / 60)} h`;
}
