/**
 * Writes the rule engine's alarm transitions to the AlarmStore (the alarm service's persistence):
 * - opened -> `open` (the store deduplicates by (rule, subject) and by id; when it answers with
 *   another alarm than the one the rules opened, later transitions go to that one: `aliases`);
 * - updated -> `update` of an active alarm, or `correct` of a resolved one: late data filled in
 *   its period, so its stored facts (start, raise time, end, peak) follow the data while its
 *   lifecycle stays (it is not re-opened). A correction is audited as `alarm.correct` with what
 *   changed;
 * - resolved -> `resolve`;
 * - disproved -> `disprove`: late data showed the condition was not met as raised. The alarm is
 *   kept, resolved, with the facts it was raised on, and marked with the reason and the time;
 *   audited as `alarm.disprove`.
 * A data-gap alarm held back while a device delivers a backlog (`deferred`) is written later by
 * the service; transitions of a held alarm only update the held one.
 */
import type { Alarm, AlarmTransition, AlarmUnit } from '../rules/rule.ts';
import type { AuditInput } from '../storage/store.ts';
import type { AlarmCorrection, AlarmPatch, AlarmRecord, AlarmStore, OpenAlarmInput } from './alarm-store.ts';

/** Where the rules' criterion of an alarm is kept in its stored `detail`. */
const CRITERION_KEY = 'criterion';

/** The stored `detail` of an engine alarm: a statistical alarm's facts, and the rule's criterion. */
function detailOf(a: Alarm): Record<string, unknown> | undefined {
  if (a.detail === undefined && a.criterion === undefined) return undefined;
  return { ...a.detail, ...(a.criterion !== undefined ? { [CRITERION_KEY]: a.criterion } : {}) };
}

/** An engine alarm as the store opens it. */
export function openInput(a: Alarm): OpenAlarmInput {
  const detail = detailOf(a);
  return {
    id: a.id,
    rule: a.rule,
    subject: a.subject,
    kind: a.kind,
    startedAt: a.startedAt,
    raisedAt: a.raisedAt,
    detectedAt: a.detectedAt,
    detectedLate: a.detectedLate,
    severity: a.severity,
    message: a.message,
    peak: Number.isFinite(a.peak) ? a.peak : null,
    unit: a.unit,
    ...(detail ? { detail } : {}),
  };
}

/** The data-time facts of an engine alarm (its detail when it explains itself: statistical). */
export function factsOf(a: Alarm): AlarmPatch {
  const detail = a.detail !== undefined ? detailOf(a) : undefined;
  return {
    startedAt: a.startedAt,
    raisedAt: a.raisedAt,
    severity: a.severity,
    message: a.message,
    peak: Number.isFinite(a.peak) ? a.peak : null,
    ...(detail ? { detail } : {}),
  };
}

/** A stored alarm as the engine's `restore` takes it. */
export function toRuleAlarm(a: AlarmRecord, unit: AlarmUnit): Alarm {
  const criterion = a.detail[CRITERION_KEY];
  return {
    id: a.id,
    rule: a.rule,
    subject: a.subject,
    kind: a.kind,
    state: a.state === 'resolved' ? 'resolved' : 'open',
    startedAt: a.startedAt,
    raisedAt: a.raisedAt,
    ...(a.resolvedAt !== null ? { resolvedAt: a.resolvedAt } : {}),
    detectedAt: a.detectedAt,
    detectedLate: a.detectedLate,
    severity: a.severity,
    peak: a.peak ?? 0,
    unit,
    message: a.message,
    ...(a.disproved ? { disproved: { at: a.disproved.at, reason: a.disproved.reason } } : {}),
    ...(typeof criterion === 'string' ? { criterion } : {}),
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** What a correction changed, for the audit log: `{ peak: [8.4, 12], resolved_at: [..., ...] }`. */
function changes(before: AlarmRecord, after: AlarmRecord): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  const times = [
    ['started_at', 'startedAt'],
    ['raised_at', 'raisedAt'],
    ['resolved_at', 'resolvedAt'],
  ] as const;
  for (const [name, key] of times)
    if (before[key] !== after[key]) out[name] = [iso(before[key]), iso(after[key])];
  if (before.peak !== after.peak) out['peak'] = [before.peak, after.peak];
  if (before.severity !== after.severity) out['severity'] = [before.severity, after.severity];
  return out;
}

export interface AlarmWriterOptions {
  alarms: AlarmStore;
  audit: { appendAudit(entry: AuditInput): Promise<unknown> };
  clock: () => number;
  /** Engine alarm id -> the stored alarm it continues; null: not persisted. Shared with the service. */
  aliases: Map<string, string | null>;
  /** Held data-gap alarms (see the service). Shared with the service. */
  deferred: Map<string, AlarmTransition>;
}

/** Writes one transition (false: held or not persisted); the caller counts and logs failures. */
export function createAlarmWriter(o: AlarmWriterOptions): (t: AlarmTransition) => Promise<boolean> {
  async function audited(action: string, a: AlarmRecord, detail: Record<string, unknown>): Promise<void> {
    await o.audit.appendAudit({
      ts: o.clock(),
      actor: 'system',
      action,
      object: a.id,
      detail: { rule: a.rule, subject: a.subject, ...detail },
    });
  }

  async function write(t: AlarmTransition): Promise<boolean> {
    const a = t.alarm;
    const held = o.deferred.get(a.id);
    if (held) {
      if (t.type === 'resolved') o.deferred.delete(a.id);
      else o.deferred.set(a.id, { ...held, alarm: a });
      return false;
    }
    const alias = o.aliases.get(a.id);
    if (alias === null) return false;
    const id = alias ?? a.id;
    // never stored (a failed write before): record it first, resolved if the rules resolved it
    const ensureStored = async () => {
      if (await o.alarms.get(id)) return id;
      const { alarm } = await o.alarms.open(openInput({ ...a, state: 'open' }), t.at);
      if (alarm.id !== a.id) o.aliases.set(a.id, alarm.id);
      if (a.state === 'resolved') await o.alarms.resolve(alarm.id, a.resolvedAt ?? t.at, t.at, factsOf(a));
      return alarm.id;
    };
    if (t.type === 'opened') {
      const { alarm } = await o.alarms.open(openInput(a), t.at);
      if (alarm.id !== a.id) o.aliases.set(a.id, alarm.id);
    } else if (t.type === 'updated' && a.state !== 'resolved') {
      const r = await o.alarms.update(id, factsOf(a), t.at);
      if (!r && !(await o.alarms.get(id))) await write({ ...t, type: 'opened' });
    } else if (t.type === 'updated') {
      const patch: AlarmCorrection = {
        ...factsOf(a),
        ...(a.resolvedAt !== undefined ? { resolvedAt: a.resolvedAt } : {}),
      };
      const r = await o.alarms.correct(await ensureStored(), patch, t.at);
      const changed = r ? changes(r.before, r.after) : {};
      if (r && Object.keys(changed).length > 0) await audited('alarm.correct', r.after, { changes: changed });
    } else if (t.type === 'disproved') {
      const d = a.disproved ?? { at: t.at, reason: 'disproved by late data' };
      const r = await o.alarms.disprove(await ensureStored(), d, a.resolvedAt ?? t.at, t.at);
      if (r) await audited('alarm.disprove', r, { reason: d.reason, disproved_at: iso(d.at) });
      o.aliases.delete(a.id);
    } else {
      const r = await o.alarms.resolve(id, a.resolvedAt ?? t.at, t.at, factsOf(a));
      if (!r) await ensureStored();
      o.aliases.delete(a.id);
    }
    return true;
  }
  return write;
}

/** Most alarms one query returns (the store's limit). */
const STORE_LIST_MAX = 1000;

/** Stored alarms of a device worth giving back to the engine: active ones, and those raised since `since`. */
export async function storedAlarms(
  alarms: Pick<AlarmStore, 'list'>,
  deviceId: string,
  since: number,
): Promise<AlarmRecord[]> {
  const byId = new Map<string, AlarmRecord>();
  for (const a of await alarms.list({ subject: deviceId, state: 'active', limit: STORE_LIST_MAX }))
    byId.set(a.id, a);
  for (const a of await alarms.list({ subject: deviceId, since, limit: STORE_LIST_MAX })) byId.set(a.id, a);
  return [...byId.values()];
}
