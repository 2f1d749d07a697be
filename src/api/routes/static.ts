import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VigilError } from '../../errors.ts';
import type { RoutePlugin } from '../api-deps.ts';

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite puts content-hashed files under assets/: their URL changes with their content. */
const HASHED_CACHE = 'public, max-age=31536000, immutable';
/** Anything else: the browser revalidates each time. */
const PLAIN_CACHE = 'no-cache';

/** Shown at `/` while web/dist does not exist. Plain text: no markup, nothing for the CSP to block. */
export const NOT_BUILT_TEXT =
  'Vigil: the dashboard has not been built.\n\nRun `npm run build:web` (writes web/dist), then reload this page.\n' +
  'The API is up: https://<this host>/healthz\n';

/** Paths that never fall back to the dashboard: the API and the operational endpoints. */
function isServerPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || path === '/healthz' || path === '/metrics';
}

/** A browser navigation (history API fallback): GET of a page, which asks for HTML. */
function wantsHtml(req: FastifyRequest): boolean {
  return /\btext\/html\b/.test(String(req.headers.accept ?? ''));
}

/**
 * The URL path as file path segments, or null when it is not a plain relative path: malformed
 * percent-encoding, NUL, backslashes, `.`/`..` segments or hidden names are refused before the
 * file system is asked anything.
 */
export function safeSegments(urlPath: string): string[] | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return null;
  return segments;
}

/**
 * Serves the dashboard (web/dist, built by `npm run build:web`) at `/` under the same security
 * headers and CSP as the API: hashed assets are cached for a year, everything else revalidated,
 * index.html never stored. A browser navigation to any other non-API path gets index.html (the
 * dashboard routes on the client); other clients get the JSON 404. Without a build, `/` answers
 * 503 with a short text saying how to build it.
 */
export function staticRoutes(o: { root: string }): RoutePlugin {
  const root = resolve(o.root);

  const sendFile = async (reply: FastifyReply, file: string, size: number, cache: string) => {
    const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
    return reply
      .type(type)
      .header('cache-control', cache)
      .header('content-length', String(size))
      .send(createReadStream(file));
  };

  /** The file for `segments` if it is a regular file inside the root (symlinks resolved), else null. */
  const findFile = async (segments: string[]): Promise<{ path: string; size: number } | null> => {
    if (segments.length === 0) return null;
    const candidate = resolve(root, ...segments);
    if (!candidate.startsWith(root + sep)) return null;
    try {
      const [realRoot, real] = await Promise.all([realpath(root), realpath(candidate)]);
      if (!real.startsWith(realRoot + sep)) return null;
      const st = await stat(real);
      return st.isFile() ? { path: real, size: st.size } : null;
    } catch {
      return null;
    }
  };

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? '/';
    if (isServerPath(path)) throw new VigilError('VIGIL_ERR_NOT_FOUND');
    const segments = safeSegments(path);
    if (segments === null) throw new VigilError('VIGIL_ERR_NOT_FOUND');
    const index = await stat(join(root, 'index.html')).catch(() => null);
    const navigation = segments.length === 0 || wantsHtml(req);
    if (!index?.isFile()) {
      if (!navigation) throw new VigilError('VIGIL_ERR_NOT_FOUND');
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .header('retry-after', '60')
        .send(NOT_BUILT_TEXT);
    }
    const file = await findFile(segments);
    if (file) {
      if (file.path === join(await realpath(root), 'index.html')) {
        return sendFile(reply, file.path, file.size, 'no-store');
      }
      return sendFile(reply, file.path, file.size, segments[0] === 'assets' ? HASHED_CACHE : PLAIN_CACHE);
    }
    // A client-side route (no file extension) opened in the browser gets the dashboard.
    const last = segments.at(-1) ?? '';
    if (navigation && extname(last) === '' && segments[0] !== 'assets') {
      return sendFile(reply, join(root, 'index.html'), index.size, 'no-store');
    }
    throw new VigilError('VIGIL_ERR_NOT_FOUND');
  };

  return async (app) => {
    const opts = {
      config: { access: 'public' as const },
      schema: { hide: true },
    };
    app.get('/', opts, handler);
    app.get('/*', opts, handler);
  };
}
