import type { Server as HttpsServer } from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AlarmStore } from '../alarms/alarm-store.ts';
import type { VigilContext } from '../app/context.ts';
import type { Authenticator } from '../auth/principal.ts';
import type { EmbeddedBroker } from '../broker/embedded-broker.ts';
import type { DeviceKeyring } from '../ingest/device-keyring.ts';
import type { IngestPipeline } from '../ingest/pipeline.ts';
import type { RejectionRecorder } from '../ingest/rejection-recorder.ts';
import type { FdBudget } from '../net/fd-budget.ts';
import type { RouteAccess } from './access.ts';
import type { BackfillTracker } from './backfill-tracker.ts';
import type { LatencyHistogram } from './latency-histogram.ts';
import type { LoopLagMonitor } from './loop-lag.ts';
import type { ThroughputMeter } from './throughput-meter.ts';

/** What the API server is given by the process that runs it (src/app/server.ts). */
export interface ApiServerDeps {
  ctx: VigilContext;
  pipeline: IngestPipeline;
  rejections: RejectionRecorder;
  /** The embedded broker; undefined when an external broker (Mosquitto, EMQX) is used. */
  broker: EmbeddedBroker | undefined;
  /**
   * The pipeline's device cache: a status change made through the API is committed on this
   * process's own connection, which the store change watcher does not see, so the route
   * invalidates the cache itself.
   */
  keyring: DeviceKeyring;
  authenticator: Authenticator;
  /** Alarms (for the devices list's alarm state); absent: every device shows `none`. */
  alarms?: AlarmStore;
  /**
   * Devices that delivered backfill recently (fed by the pipeline's `onAccepted`), for the
   * continuity indicators of /api/v1/system; absent: none is reported as buffering.
   */
  backfill?: BackfillTracker;
  /**
   * Whether this process is connected to the broker it ingests from (the external broker link);
   * absent: the embedded broker counts as reachable while it listens, an external one as unknown.
   */
  brokerReachable?: () => boolean;
  /** The process's descriptor budget, shared with the broker; absent: only the HTTPS caps apply. */
  fdBudget?: FdBudget;
  /** TLS key pair; default: the server certificate from the data directory. */
  tls?: { cert: string; key: string };
  /**
   * More route modules, registered after the built-in ones (sign-in, users, alarms, live feed).
   * Each route declares `config.access`; the auth guard refuses to start without it.
   */
  routes?: RoutePlugin[];
}

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

/** Options every route plugin receives. */
export interface RouteOptions {
  deps: ApiServerDeps;
  runtime: ApiRuntime;
}

/** A route module: a Fastify plugin with zod-typed schemas on the HTTPS server. */
export type RoutePlugin = FastifyPluginAsyncZod<RouteOptions, HttpsServer>;

/** The API's Fastify instance: HTTPS server, default request/reply and logger types. */
export type ApiServer = FastifyInstance<HttpsServer>;
