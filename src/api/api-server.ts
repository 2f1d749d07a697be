import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { VigilError } from '../errors.ts';
import { guardHttpsServer, type HttpsGuard } from '../net/https-guard.ts';
import { TLS_SERVER_OPTIONS } from '../pki/tls-policy.ts';
import type { ApiRuntime, ApiServer, ApiServerDeps, RouteOptions } from './api-deps.ts';
import { installAuthGuard } from './auth-guard.ts';
import { installCsrfGuard } from './csrf-guard.ts';
import { errorBody, frameworkErrors, installErrorHandler } from './error-handler.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import { LoopLagMonitor } from './loop-lag.ts';
import { registerOpenApi } from './openapi.ts';
import { RequestLogController } from './request-log-controller.ts';
import { installSecurityHeaders, SECURITY_HEADERS } from './security-headers.ts';
import { ThroughputMeter } from './throughput-meter.ts';

/** Default request body limit (64 KiB): the API takes small JSON documents only. */
export const BODY_LIMIT = 64 * 1024;

const runtimes = new WeakMap<ApiServer, ApiRuntime>();
const guards = new WeakMap<ApiServer, HttpsGuard>();

/** The connection guard of a server built by {@link buildApiServer} (caps, idle and shutdown). */
export function httpsGuardOf(app: ApiServer): HttpsGuard | undefined {
  return guards.get(app);
}

/** The measurements and route table of a server built by {@link buildApiServer}. */
export function apiRuntimeOf(app: ApiServer): ApiRuntime | undefined {
  return runtimes.get(app);
}

/**
 * Builds the Fastify instance (not ready, not listening): HTTPS with TLS >= 1.2, security
 * headers, CSRF guard, authentication and per-route access rules, JSON errors from the
 * catalogue, zod schemas for validation, serialisation and the OpenAPI document.
 */
export async function buildApiServer(deps: ApiServerDeps, runtime: ApiRuntime): Promise<ApiServer> {
  const { tls, limits } = deps;
  const app: ApiServer = Fastify<HttpsServer, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    https: {
      cert: tls.cert,
      key: tls.key,
      ...TLS_SERVER_OPTIONS,
      // No TLS handshake (not even a ClientHello) by then: closed (Node's default is 120 s).
      handshakeTimeout: limits.handshakeTimeoutMs,
    },
    // Request logs carry method, path, status and timing, never headers or cookies.
    loggerInstance: deps.logger.child(
      { component: 'http' },
      {
        serializers: {
          req: (req: { method: string; url: string; ip?: string }) => ({
            method: req.method,
            // The path only: a query string is the caller's input.
            url: req.url.split('?')[0],
            remoteAddress: req.ip,
          }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
      },
    ) as FastifyBaseLogger,
    // Request lines at debug: at info they would flood the log of a busy dashboard.
    logController: new RequestLogController(),
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    // Slow-client bounds on receiving a request (headers, whole request) and on idle keep-alive;
    // no socket idle timeout, so a long-running answer (the live feed) is not cut. A connection
    // that never begins a request is closed by the guard below.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // On close: idle keep-alive connections at once; requests in flight may finish (the
    // shutdown deadline destroys what is left).
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // A URL that does not decode: our error format and headers, not Fastify's echo of the URL.
    frameworkErrors,
    routerOptions: { maxParamLength: 128 },
    // A malformed request line or header: answer in our format, headers included.
    clientErrorHandler: (err, socket) => {
      // Only an HTTP parse error (llhttp's HPE_*) gets an answer. A TLS failure (handshake
      // timeout, bad ClientHello) arrives here too (https forwards tlsClientError as
      // clientError): a socket without a finished handshake cannot carry an answer, and
      // end() on it would wait for a handshake that never comes, keeping the socket open.
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!code.startsWith('HPE_') || !socket.writable) return socket.destroy();
      const body = JSON.stringify(errorBody('VIGIL_ERR_BAD_REQUEST'));
      const headers = Object.entries(SECURITY_HEADERS)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\n${headers}\r\n${body}`,
      );
    },
  });
  app.server.headersTimeout = limits.headersTimeoutMs;
  const log = deps.logger.child({ component: 'https' });
  guards.set(
    app,
    guardHttpsServer(app.server, {
      maxConnections: limits.maxConnections,
      maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
      firstRequestTimeoutMs: limits.headersTimeoutMs,
      budget: deps.fdBudget,
      onRefuse: (reason, address) =>
        deps.rejections.record({
          code: reason,
          source: 'https',
          address,
          detail: { code: 'VIGIL_ERR_CONNECTION_LIMIT' },
        }),
      onAcceptError: (err) => {
        deps.rejections.record({
          code: 'fd_exhausted',
          source: 'https',
          detail: { errno: (err as NodeJS.ErrnoException).code },
        });
      },
      onError: (err) => log.error({ err }, 'listener error'),
    }),
  );
  runtimes.set(app, runtime);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  installSecurityHeaders(app, deps.tileOrigin);
  installCsrfGuard(app);
  const readOnly = deps.readOnly;
  if (readOnly) {
    // Disk full: the dashboard keeps serving reads; changes wait until space returns.
    app.addHook('onRequest', async (req) => {
      if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
      if (req.url.startsWith('/api/v1/auth/')) return;
      const why = readOnly();
      if (why) throw new VigilError('VIGIL_ERR_DISK_FULL', why);
    });
  }
  installAuthGuard(app, deps.authenticator);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const access = route.config?.access;
    if (access === undefined) return; // the auth guard's onRoute has refused it already
    for (const method of methods) runtime.routes.push({ method, url: route.url, access });
  });
  await registerOpenApi(app, process.env.npm_package_version ?? '0.1.0');
  const opts: RouteOptions = { runtime };
  for (const routes of deps.routes) await app.register(routes, opts);
  return app;
}

/**
 * Starts the HTTPS API on `deps.listen` (`config.http`, 8443 by default). Closing the returned
 * instance (`await app.close()`) stops the listener and the metric samplers.
 */
export async function startApiServer(deps: ApiServerDeps): Promise<ApiServer> {
  const { clock, ingest, tls } = deps;
  const runtime: ApiRuntime = {
    commitLatency: new LatencyHistogram(),
    throughput: new ThroughputMeter(60_000),
    loopLag: new LoopLagMonitor(),
    startedAt: clock(),
    serverCertPem: tls.cert,
    routes: [],
  };
  const app = await buildApiServer(deps, runtime);
  const unsubscribe = ingest.onCommit((c) => runtime.commitLatency.observe(c.ms));
  runtime.loopLag.start();
  runtime.throughput.sample(clock(), ingest.stats);
  const sampler = setInterval(() => runtime.throughput.sample(clock(), ingest.stats), 5_000);
  sampler.unref();
  app.addHook('onClose', async () => {
    clearInterval(sampler);
    unsubscribe();
    runtime.loopLag.stop();
  });
  try {
    await app.listen(deps.listen);
  } catch (err) {
    await app.close().catch(() => {});
    throw new VigilError('VIGIL_ERR_CONFIG', `HTTPS port ${deps.listen.port}: ${(err as Error).message}`);
  }
  return app;
}
