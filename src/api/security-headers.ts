import type { ApiServer } from './api-deps.ts';

/**
 * Strict CSP: scripts and styles only from our own origin, never inline; the live feed may use
 * WebSockets (wss:); no framing, no plugins, no <base> rewriting (CSP Level 3). Images also from
 * `tileOrigin` when given: the map's tile server (`dashboard.tiles.url`), that origin only.
 */
export function contentSecurityPolicy(tileOrigin?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    tileOrigin ? `img-src 'self' data: ${tileOrigin}` : "img-src 'self' data:",
    "connect-src 'self' wss:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** The CSP without a tile server. */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** Headers set on every response, whatever produced it (route, 404, error handler). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  // RFC 6797 §6.1: one year, subdomains included.
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy':
    'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()',
  'x-permitted-cross-domain-policies': 'none',
});

/**
 * Adds the security headers to every response (the CSP with the map's tile origin, if any). API answers are never cached (they carry data a
 * shared machine must not keep); a route that serves static assets may set its own Cache-Control.
 */
export function installSecurityHeaders(app: ApiServer, tileOrigin?: string): void {
  const headers = tileOrigin
    ? { ...SECURITY_HEADERS, 'content-security-policy': contentSecurityPolicy(tileOrigin) }
    : SECURITY_HEADERS;
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(headers);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    reply.removeHeader('x-powered-by');
    return payload;
  });
}
