/**
 * What a notification says. One builder for every channel: an e-mail subject and text, a short
 * text for SMS, voice and the browser, and the JSON body of webhooks. Built only from whitelisted
 * facts (device, shipment, batch, value, limit, duration, link), so no secret or token can reach
 * it: the alarm's `detail` is never read, a shipment's delivery token is never known here. A
 * patient monitor's values and alarm text appear only with `notifications.includePatientFields`.
 */
import type { AlarmRecord } from '../alarms/alarm-store.ts';
import type { Level } from './notification-model.ts';

/** Why a notification is sent. */
export type NotificationEvent = 'raised' | 'upgraded' | 'escalated' | 'test';

/** Everything a message may say about an alarm, gathered by the notification service. */
export interface MessageFacts {
  alarm: Pick<
    AlarmRecord,
    | 'id'
    | 'rule'
    | 'subject'
    | 'severity'
    | 'state'
    | 'startedAt'
    | 'raisedAt'
    | 'resolvedAt'
    | 'message'
    | 'peak'
    | 'unit'
    | 'detectedLate'
  >;
  level: Level;
  /** The device's profile (`vaccine-transport`, `patient-vitals`, ...); null for system alarms. */
  deviceProfile: string | null;
  shipment: { id: string; profile: string; lots: string[]; batchId: string | null } | null;
  /** The limit the value crossed, in `unit`, when the rule has one. */
  limit: number | null;
  event: NotificationEvent;
  /** Escalation level (1-based) for `escalated`. */
  escalationLevel?: number;
  /** Link base (`https://vigil.example:8443`). */
  dashboardUrl: string;
  includePatientFields: boolean;
  now: number;
}

/** A message ready for any channel. */
export interface NotificationMessage {
  subject: string;
  /** E-mail body: one fact per line. */
  text: string;
  /** At most 300 characters: SMS, voice, browser notification. */
  short: string;
  link: string;
  /** The webhook body's `data` and the browser notification's payload. */
  data: WebhookAlarmData;
}

/** The JSON a webhook receiver gets (docs/alarms.md, "Webhooks"). */
export interface WebhookAlarmData {
  event: NotificationEvent;
  alarm: {
    id: string;
    rule: string;
    level: Level;
    severity: string;
    state: string;
    subject: string;
    startedAt: string;
    raisedAt: string;
    resolvedAt: string | null;
    durationMs: number;
    detectedLate: boolean;
    message: string | null;
    value: number | null;
    limit: number | null;
    unit: string | null;
  };
  device: { id: string; profile: string | null } | null;
  shipment: { id: string; profile: string; lots: string[]; batchId: string | null } | null;
  escalationLevel: number | null;
  link: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `95 min` / `3 h 20 min` / `2 d 4 h`. */
export function durationText(ms: number): string {
  const min = Math.max(0, Math.round(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h${min % 60 ? ` ${min % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

const UNIT_TEXT: Record<string, string> = {
  C: ' °C',
  '%': ' %',
  ms: ' ms',
  km: ' km',
  dBm: ' dBm',
  bpm: ' bpm',
};

function valueText(v: number | null, unit: string | null): string | null {
  if (v === null || !Number.isFinite(v)) return null;
  if (unit === 'ms') return durationText(v);
  return `${Math.round(v * 10) / 10}${unit ? (UNIT_TEXT[unit] ?? ` ${unit}`) : ''}`;
}

/** Collapses whitespace and drops control characters (a subject line is one line). */
function oneLine(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const RULE_TEXT: Record<string, string> = {
  heat: 'heat',
  freeze: 'freeze',
  door: 'door open',
  power: 'no mains power',
  'data-gap': 'no data',
  battery: 'low battery',
  anomaly: 'unusual readings',
};

function ruleText(rule: string): string {
  if (RULE_TEXT[rule]) return RULE_TEXT[rule];
  if (rule.startsWith('notify-channel:'))
    return `${rule.slice('notify-channel:'.length)} notifications failing`;
  return rule.replace(/[:_-]+/g, ' ');
}

export function buildMessage(f: MessageFacts): NotificationMessage {
  const a = f.alarm;
  const patient = f.deviceProfile === 'patient-vitals';
  const clinical = !patient || f.includePatientFields;
  const link = `${f.dashboardUrl.replace(/\/+$/, '')}/#/alarms?alarm=${encodeURIComponent(a.id)}`;
  const end = a.resolvedAt ?? f.now;
  const durationMs = Math.max(0, end - a.startedAt);
  const value = clinical ? valueText(a.peak, a.unit) : null;
  const limit = clinical ? valueText(f.limit, a.unit) : null;
  const level = f.level.toUpperCase();
  const what = ruleText(a.rule);
  const prefix =
    f.event === 'test'
      ? '[Vigil TEST]'
      : f.event === 'escalated'
        ? `[Vigil ${level} - ESCALATED${f.escalationLevel ? ` L${f.escalationLevel}` : ''}]`
        : `[Vigil ${level}]`;
  const where = f.shipment ? `${a.subject} (${f.shipment.id})` : a.subject;
  const subject = oneLine(`${prefix} ${what} on ${where}${value ? `: ${value}` : ''}`).slice(0, 200);
  const batch = f.shipment
    ? [
        f.shipment.batchId ? `batch ${f.shipment.batchId}` : null,
        f.shipment.lots.length ? `lots ${f.shipment.lots.join(', ')}` : null,
      ]
        .filter(Boolean)
        .join('; ')
    : '';
  const lines = [
    f.event === 'escalated'
      ? `Not acknowledged: escalated to level ${f.escalationLevel ?? '?'}.`
      : f.event === 'upgraded'
        ? `The alarm is now ${f.level}.`
        : f.event === 'test'
          ? 'A test notification from Vigil: this channel works.'
          : null,
    `Alarm: ${what} (${a.rule}), level ${f.level}${a.state === 'resolved' ? ', resolved' : ''}`,
    `Device: ${a.subject}${f.deviceProfile ? ` (${f.deviceProfile})` : ''}`,
    f.shipment ? `Shipment: ${f.shipment.id}, profile ${f.shipment.profile}` : null,
    batch ? `Batch: ${batch}` : null,
    value ? `Value: ${value}` : null,
    limit ? `Limit: ${limit}` : null,
    `Duration: ${durationText(durationMs)} (since ${iso(a.startedAt)})`,
    clinical && a.message ? `Detail: ${oneLine(a.message)}` : null,
    a.detectedLate ? 'Detected late (the readings arrived after the fact).' : null,
    patient && !f.includePatientFields ? 'Patient values are shown in the dashboard only.' : null,
    `Open: ${link}`,
  ].filter((l): l is string => l !== null);
  const shortParts = [
    `${what} on ${where}`,
    value ? `${value}${limit ? ` (limit ${limit})` : ''}` : null,
    `for ${durationText(durationMs)}`,
    batch || null,
  ].filter(Boolean);
  const short = oneLine(`${prefix} ${shortParts.join(', ')}. ${link}`).slice(0, 300);
  return {
    subject,
    text: `${lines.join('\n')}\n`,
    short,
    link,
    data: {
      event: f.event,
      alarm: {
        id: a.id,
        rule: a.rule,
        level: f.level,
        severity: a.severity,
        state: a.state,
        subject: a.subject,
        startedAt: iso(a.startedAt),
        raisedAt: iso(a.raisedAt),
        resolvedAt: a.resolvedAt === null ? null : iso(a.resolvedAt),
        durationMs,
        detectedLate: a.detectedLate,
        message: clinical ? a.message : null,
        value: clinical ? a.peak : null,
        limit: clinical ? f.limit : null,
        unit: clinical ? a.unit : null,
      },
      device: a.subject === 'vigil' ? null : { id: a.subject, profile: f.deviceProfile },
      shipment: f.shipment,
      escalationLevel: f.escalationLevel ?? null,
      link,
    },
  };
}
