/** What `startServer` (src/server/start-server.ts) takes and returns. */
import type { AlarmService } from '../alarms/alarm-service.ts';
import type { AlarmStore } from '../alarms/alarm-store.ts';
import type { RouteInfo, RoutePlugin } from '../api/api-deps.ts';
import type { LiveFrameData } from '../api/ports.ts';
import type { LiveLimits, LiveStats } from '../api/routes/live.ts';
import type { AuthServices } from '../auth/auth-services.ts';
import type { LockoutPolicy } from '../auth/lockout.ts';
import type { Authenticator } from '../auth/principal.ts';
import type { SessionTimeouts } from '../auth/sessions.ts';
import type { EmbeddedBroker } from '../broker/embedded-broker.ts';
import type { ContinuityService } from '../continuity/continuity-service.ts';
import type { GatewayRegistry } from '../gateways/gateway-registry.ts';
import type { AcceptedMessage, IngestPipeline } from '../ingest/pipeline.ts';
import type { RejectionRecorder } from '../ingest/rejection-recorder.ts';
import type { LifecycleServices } from '../lifecycle/lifecycle-services.ts';
import type { OtaServices } from '../lifecycle/ota-services.ts';
import type { ServerCertRenewal } from '../lifecycle/server-cert-renewal.ts';
import type { LiveBus } from '../live/live-bus.ts';
import type { ShutdownOutcome } from '../process/shutdown.ts';
import type { ShipmentService } from '../shipments/shipment-service.ts';
import type { SinkService } from '../sinks/sink-service.ts';
import type { Notifications } from './notifications-wiring.ts';

export interface RunningServer {
  mqttPort: number;
  httpPort: number;
  pipeline: IngestPipeline;
  rejections: RejectionRecorder;
  broker: EmbeddedBroker | undefined;
  /** Accounts, sessions and API tokens (the instance the API uses). */
  auth: AuthServices;
  /** Alarms; changes made through this instance reach the live feed (the rules write here). */
  alarms: AlarmStore;
  /** The rules on live data: per-device rule sets (`configureSubject`), alarms persisted to `alarms`. */
  alarmService: AlarmService;
  /** Shipments and chain of custody; fed the devices' dispatch and delivery events. */
  shipments: ShipmentService;
  /** Alarm notifications: the service (routing, escalation, outbox), configuration, senders. */
  notifications: Notifications;
  /** The live feed: its bus (publish here) and counters. */
  live: { bus: LiveBus<LiveFrameData>; stats: LiveStats };
  /** Every API route with its access rule. */
  routes: readonly RouteInfo[];
  /** Commands to devices and the key and certificate lifecycle (null on PostgreSQL: not there yet). */
  lifecycle: LifecycleServices | null;
  /** Firmware uploads and OTA campaigns (null without the lifecycle). */
  ota: OtaServices | null;
  /** The port devices download firmware from (null without OTA). */
  otaPort: number | null;
  /** Server certificate renewal with hot swap on both listeners (null without the lifecycle). */
  serverCert: ServerCertRenewal | null;
  /** Gateways: identities, device sets, last status (docs/gateway.md). */
  gateways: GatewayRegistry;
  /** Backups, UPS, data volume and the system alarms they raise. */
  continuity: ContinuityService;
  /** The sinks (InfluxDB, webhooks) fed from the outbox. */
  sinks: SinkService;
  /** Stops within `shutdownTimeoutMs` (src/process/shutdown.ts); says whether the drain was clean. */
  stop(): Promise<ShutdownOutcome>;
}

export interface ServerOptions {
  onAccepted?: (ev: AcceptedMessage) => void;
  /** Resolves API callers; default: sessions and API tokens of src/auth over the context's store. */
  authenticator?: Authenticator;
  /** Session timeouts and lockout policy of the auth services (tests shorten them). */
  authOptions?: { sessionTimeouts?: Partial<SessionTimeouts>; lockout?: Partial<LockoutPolicy> };
  /** Live-feed bounds and periods (tests shorten them). */
  live?: Partial<LiveLimits>;
  /** Directory of the built dashboard; default web/dist of this checkout. */
  webRoot?: string;
  /** More API route modules (registered after the built-in ones). */
  apiRoutes?: RoutePlugin[];
  /** Alarm service settings (tests shorten the tick or turn the anomaly monitors off). */
  alarmService?: { tickMs?: number; anomaly?: boolean };
  /**
   * Asks the process to shut down gracefully (UPS low battery): `vigil start` stops as on Ctrl-C.
   * Without it the server stops itself.
   */
  requestShutdown?: (reason: string) => void;
  /** Continuity timings (tests shorten them). */
  continuity?: { checkMs?: number; backupRetryBaseMs?: number; backupFirstDelayMs?: number };
  /** Channel senders instead of the real ones (tests). */
  notificationSenders?: Notifications['senders'];
}
