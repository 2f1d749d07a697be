import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isLockedError } from '../auth/lockout.ts';
import { ERRORS, type ErrorCode, isVigilError } from '../errors.ts';
import type { ApiServer } from './api-deps.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

/** The one error shape every API response uses: a catalogued code and its generic message. */
export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; path?: string };
}

export function errorBody(code: ErrorCode, path?: string): ApiErrorBody {
  return { error: { code, message: ERRORS[code].message, ...(path ? { path } : {}) } };
}

/** Sends a catalogued error with its catalogue status. */
export function sendError(reply: FastifyReply, code: ErrorCode, path?: string): FastifyReply {
  return reply.code(ERRORS[code].status).type('application/json; charset=utf-8').send(errorBody(code, path));
}

/**
 * A request that passed its schema but fails a rule the schema cannot state (a range too long):
 * answered like a schema failure, 400 VIGIL_ERR_VALIDATION with the field's path.
 */
export function validationError(context: 'querystring' | 'params' | 'body', field: string): Error {
  return Object.assign(new Error('validation failed'), {
    statusCode: 400,
    validation: [{ instancePath: `/${field}` }],
    validationContext: context,
  });
}

interface Classified {
  code: ErrorCode;
  path?: string;
}

/** Fastify's own errors by their `FST_ERR_*` code (fastify/lib/errors.js). */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'VIGIL_ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VIGIL_ERR_MALFORMED_BODY',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VIGIL_ERR_MALFORMED_BODY',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VIGIL_ERR_MALFORMED_BODY',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE',
};

/** Where a schema failure was: `query.maxPoints`, `params.id`, `body.reason`. Never the value. */
function validationPath(err: FastifyError): string | undefined {
  const where = err.validationContext === 'querystring' ? 'query' : (err.validationContext ?? 'request');
  const first = err.validation?.[0];
  if (!first) return where;
  const inner = String(first.instancePath ?? '')
    .split('/')
    .filter((s) => s !== '')
    // Keys of the request are ours (schema fields), but bound them anyway: a record key comes
    // from the client.
    .map((s) => s.slice(0, 64))
    .join('.');
  return inner ? `${where}.${inner}` : where;
}

export function classifyError(err: unknown): Classified {
  if (isVigilError(err)) return { code: err.code };
  const fe = err as Partial<FastifyError> | undefined;
  if (fe && Array.isArray(fe.validation)) {
    const path = validationPath(fe as FastifyError);
    return path ? { code: 'VIGIL_ERR_VALIDATION', path } : { code: 'VIGIL_ERR_VALIDATION' };
  }
  const mapped = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return { code: mapped };
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status === 404) return { code: 'VIGIL_ERR_NOT_FOUND' };
  if (status === 413) return { code: 'VIGIL_ERR_BODY_TOO_LARGE' };
  if (status === 415) return { code: 'VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE' };
  if (status === 429) return { code: 'VIGIL_ERR_RATE_LIMIT' };
  if (status === 503) return { code: 'VIGIL_ERR_UNAVAILABLE' };
  if (status >= 400 && status < 500) return { code: 'VIGIL_ERR_BAD_REQUEST' };
  return { code: 'VIGIL_ERR_INTERNAL' };
}

/**
 * Installs the error and not-found handlers: every failure becomes `{error:{code,message}}` with
 * the catalogue status. The client never sees an internal message or a stack; the log gets the
 * precise code (and, for a 5xx, the error itself).
 */
export function installErrorHandler(app: ApiServer): void {
  app.setErrorHandler(replyWithError);
  app.setNotFoundHandler((_req, reply) => sendError(reply, 'VIGIL_ERR_NOT_FOUND'));
}

/**
 * Fastify's `frameworkErrors` option: errors Fastify raises before any route or hook runs (a
 * URL that does not decode, `FST_ERR_BAD_URL`). Fastify's default answer echoes the URL and
 * names the framework, without the security headers; this one is the error handler's answer.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  // No onSend hook runs on this path: the headers are set here.
  reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' });
  return replyWithError(err, req, reply);
}

function replyWithError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  {
    const { code, path } = classifyError(err);
    const status = ERRORS[code].status;
    // RFC 9110 §10.2.3: a 429 says when to try again (sign-in lockout, src/auth/lockout.ts).
    if (isLockedError(err)) reply.header('retry-after', String(err.retryAfterSeconds));
    if (status >= 500) {
      req.log.error({ err, code }, 'request failed');
    } else {
      const fe = err as Partial<FastifyError>;
      req.log.info({ code, cause: fe?.code, path }, 'request refused');
    }
    return sendError(reply, code, path);
  }
}
