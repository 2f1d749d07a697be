import type { Server as HttpsServer } from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/principal.ts';
import type { VigilConfig } from '../config/schema.ts';
import type { FdBudget } from '../net/fd-budget.ts';
import type { RouteAccess } from './access.ts';
import type { LatencyHistogram } from './latency-histogram.ts';
import type { LoopLagMonitor } from './loop-lag.ts';
import type { ConnectionRefusals, IngestMeter } from './ports.ts';
import type { ThroughputMeter } from './throughput-meter.ts';

/**
 * What the API server is given by the process that runs it (the composition root, src/server):
 * the listener with its connection limits, its TLS key pair, a logger and a clock, the
 * authenticator, the ingest figures it samples for /metrics, and the route modules, each built
 * with the ports it uses.
 */
export interface ApiServerDeps {
  listen: { host: string; port: number };
  /** The listener's timeouts and connection caps (`config.http`). */
  limits: HttpListenerLimits;
  /** The process's descriptor budget, shared with the broker; absent: only the HTTPS caps apply. */
  fdBudget?: FdBudget | undefined;
  /** Where refused connections are counted and audited. */
  rejections: ConnectionRefusals;
  /** TLS key pair the HTTPS listener presents. */
  tls: { cert: string; key: string };
  logger: Logger;
  clock: () => number;
  authenticator: Authenticator;
  ingest: IngestMeter;
  /**
   * The route modules in registration order (a catch-all last). Each route declares
   * `config.access`; the auth guard refuses to start without it.
   */
  routes: RoutePlugin[];
  /**
   * Why the API is read-only now (the data volume is full), null when it is not: requests that
   * change something are refused with VIGIL_ERR_DISK_FULL, reads and sign-in go on.
   */
  readOnly?: () => string | null;
  /** The map's tile server origin (`dashboard.tiles.url`): the CSP allows images from it. */
  tileOrigin?: string | undefined;
}

/** The `http.*` settings the listener applies (src/config/schema.ts holds their defaults). */
export type HttpListenerLimits = Pick<
  VigilConfig['http'],
  | 'handshakeTimeoutMs'
  | 'headersTimeoutMs'
  | 'requestTimeoutMs'
  | 'keepAliveTimeoutMs'
  | 'maxConnections'
  | 'maxConnectionsPerAddress'
>;

/** Measurements the API server keeps while it runs (for /metrics and /api/v1/system). */
export interface ApiRuntime {
  commitLatency: LatencyHistogram;
  throughput: ThroughputMeter;
  loopLag: LoopLagMonitor;
  startedAt: number;
  /** The certificate the HTTPS listener presents. */
  serverCertPem: string;
  /** Every route registered, with its access rule (filled while the server is built). */
  routes: RouteInfo[];
}

/** One registered route: method, URL pattern and its `config.access`. */
export interface RouteInfo {
  method: string;
  url: string;
  access: RouteAccess;
}

/** Options every route plugin receives: the server's measurements (its ports come when it is built). */
export interface RouteOptions {
  runtime: ApiRuntime;
}

/** A route module: a Fastify plugin with zod-typed schemas on the HTTPS server. */
export type RoutePlugin = FastifyPluginAsyncZod<RouteOptions, HttpsServer>;

/** The API's Fastify instance: HTTPS server, default request/reply and logger types. */
export type ApiServer = FastifyInstance<HttpsServer>;
