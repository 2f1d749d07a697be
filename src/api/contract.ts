/**
 * The API's answers as types, inferred from the zod schemas the routes validate and serialise
 * with. The dashboard imports these with `import type` only (web/src/types.ts): one contract, and
 * no zod in the browser bundle. Every module this one reaches must stay free of node built-ins.
 */
import type { z } from 'zod';
import type { AlarmView } from '../alarms/alarm-view.ts';
import type {
  auditEntrySchema,
  auditVerificationSchema,
  meSchema,
  SignInState,
  sessionSchema,
  tokenSchema,
  userSchema,
} from './account-schemas.ts';
import type {
  alarmNotificationsSchema,
  channelViewSchema,
  escalationSchema,
  onCallSchema,
} from './notification-schemas.ts';
import type {
  deviceDetail,
  deviceLabelsView,
  deviceListRow,
  loggerDisplaySchema,
  readingSchema,
  seriesPointSchema,
  seriesSchema,
} from './schemas.ts';
import type { excursionSchema, ShipmentDetailView, ShipmentView } from './shipment-schemas.ts';
import type { certSchema, SystemStatusView } from './system-schema.ts';

export type { Role } from '../auth/principal.ts';
export type { BackupStatus, DiskStatusView, PowerStatus } from '../continuity/continuity-schema.ts';
export type { DeviceProfile } from '../protocol/device-profile.ts';
/** A reading on the live feed. */
export type { DeviceSummary, LiveReadingView } from './schemas.ts';
export type { SeclabRunView, SeclabStateView } from './seclab-schema.ts';
export type { SinkStatusView } from './sink-status-schema.ts';
export type { AlarmView, ShipmentDetailView, ShipmentView, SignInState, SystemStatusView };

/** `GET /api/v1/auth/me`. */
export type MeView = z.infer<typeof meSchema>;
/** `GET /api/v1/users`: one user. */
export type UserView = z.infer<typeof userSchema>;
/** `GET /api/v1/users/:name/sessions`: one session. */
export type SessionView = z.infer<typeof sessionSchema>;
/** `GET /api/v1/tokens`: one API token (never the secret). */
export type ApiTokenView = z.infer<typeof tokenSchema>;
/** `GET /api/v1/audit`: one entry. */
export type AuditEntryView = z.infer<typeof auditEntrySchema>;
/** `GET /api/v1/audit/verify`. */
export type AuditVerificationView = z.infer<typeof auditVerificationSchema>;
/** A row of `GET /api/v1/devices`. */
export type DeviceListRow = z.infer<typeof deviceListRow>;
/** A patient monitor's bed and ward (`labels` of a device, for roles with devices.labels.read). */
export type DeviceLabelsView = z.infer<typeof deviceLabelsView>;
/** `GET /api/v1/devices/:id`. */
export type DeviceDetailView = z.infer<typeof deviceDetail>;
/** A stored reading (`latest` of a device). */
export type ReadingView = z.infer<typeof readingSchema>;
/** `GET /api/v1/devices/:id/display` (simulated loggers only). */
export type LoggerDisplayView = z.infer<typeof loggerDisplaySchema>;
/** `GET /api/v1/devices/:id/readings`. */
export type SeriesView = z.infer<typeof seriesSchema>;
export type SeriesPointView = z.infer<typeof seriesPointSchema>;
/** One excursion of a shipment's summary. */
export type ExcursionView = z.infer<typeof excursionSchema>;
export type CertView = z.infer<typeof certSchema>;
/** `GET /api/v1/notifications/on-call`: one schedule. */
export type OnCallView = z.infer<typeof onCallSchema>;
/** `GET /api/v1/notifications/escalations`: one escalation. */
export type EscalationView = z.infer<typeof escalationSchema>;
/** `GET /api/v1/alarms/:id/notifications`. */
export type AlarmNotificationsView = z.infer<typeof alarmNotificationsSchema>;
/** `GET /api/v1/notifications/channels`: one channel's settings (never its credential). */
export type ChannelView = z.infer<typeof channelViewSchema>;
