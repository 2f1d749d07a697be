import { VigilError } from '../errors.ts';
import type { ApiServer } from './api-deps.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** True when the header carries an API token (`Authorization: Bearer ...`, RFC 6750 §2.1). */
export function isBearer(authorization: string | undefined): boolean {
  return typeof authorization === 'string' && /^Bearer\s+\S/i.test(authorization);
}

/**
 * Whether a state-changing request may proceed: its Origin must be this server's own origin,
 * `https://<Host>` (RFC 6454 §7; OWASP CSRF cheat sheet, "verifying origin with standard headers").
 * A missing Origin is refused too: every browser sends it on a cross-site or same-site POST, so
 * only a non-browser client omits it, and those use bearer tokens. Bearer requests are exempt:
 * a browser cannot attach an Authorization header to a cross-site request without a CORS
 * preflight, which this server never grants.
 */
export function originAllowed(
  method: string,
  headers: { origin?: string; host?: string; authorization?: string },
): boolean {
  if (!STATE_CHANGING.has(method)) return true;
  if (isBearer(headers.authorization)) return true;
  const { origin, host } = headers;
  if (typeof origin !== 'string' || typeof host !== 'string' || host === '') return false;
  return origin.toLowerCase() === `https://${host.toLowerCase()}`;
}

/** onRequest: refuses a cross-site state-changing request with 403 VIGIL_ERR_CSRF. */
export function installCsrfGuard(app: ApiServer): void {
  app.addHook('onRequest', async (req) => {
    const h = req.headers;
    const ok = originAllowed(req.method, {
      ...(typeof h.origin === 'string' ? { origin: h.origin } : {}),
      ...(typeof h.host === 'string' ? { host: h.host } : {}),
      ...(typeof h.authorization === 'string' ? { authorization: h.authorization } : {}),
    });
    if (!ok) throw new VigilError('VIGIL_ERR_CSRF', 'origin does not match host');
  });
}
