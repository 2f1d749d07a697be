/**
 * The shapes the dashboard reads: the API's own, inferred from the zod schemas the server
 * validates and serialises with (src/api/contract.ts). `import type` only, so the bundle carries
 * no zod and no server code; a change of the API's shape fails the dashboard's typecheck.
 */
import type {
  AlarmView,
  CertView,
  DeviceListRow,
  DeviceProfile,
  DeviceSummary,
  LiveReadingView,
  MeView,
  ReadingView,
  Role,
  SeriesPointView,
  SeriesView,
  SystemStatusView,
} from '../../src/api/contract.ts';

export type {
  AlarmNotificationsView,
  ApiTokenView,
  AuditEntryView,
  AuditVerificationView,
  BackupStatus,
  ChannelView,
  DeviceDetailView,
  DeviceLabelsView as DeviceLabels,
  DiskStatusView as DiskStatus,
  EscalationView,
  ExcursionView,
  LoggerDisplayView,
  OnCallView,
  PowerStatus,
  SeclabRunView,
  SeclabStateView,
  ShipmentDetailView,
  ShipmentView,
  SignInState,
  SinkStatusView,
  UserView,
} from '../../src/api/contract.ts';
export type { DeviceSummary, Role };

export const ROLES: readonly Role[] = ['admin', 'operator', 'quality', 'receiver', 'viewer', 'auditor'];

export type Profile = DeviceProfile;
export const PROFILE_NAMES: readonly Profile[] = ['vaccine-transport', 'patient-vitals', 'temperature-probe'];

export type Me = MeView;
export type Scalar = number | string | boolean | null;
export type Reading = ReadingView;
export type LiveReading = LiveReadingView;
/** A device as listed, with its latest reading and alarm flag. */
export type Device = DeviceListRow;
export type Series = SeriesView;
export type SeriesPoint = SeriesPointView;
export type Alarm = AlarmView;
export type SystemStatus = SystemStatusView;
export type CertStatus = CertView;

/** A limit of one field as the dashboard draws it (profile defaults, profiles.ts): inclusive bounds. */
export interface FieldLimit {
  min?: number;
  max?: number;
}

/** A message of the live feed (`/api/v1/live`, docs/api.md "Live feed"). */
export type LiveMessage =
  | { type: 'readings'; data: LiveReading[] }
  | { type: 'alarm'; data: Alarm }
  | { type: 'device'; data: DeviceSummary }
  | { type: 'system'; data: SystemStatus };

/** Whether an alarm still needs attention: open or acknowledged, not resolved. */
export function alarmActive(a: Pick<Alarm, 'state'>): boolean {
  return a.state !== 'resolved';
}
