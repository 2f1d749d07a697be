/**
 * The escalation timeline of one alarm under a policy (docs/alarms.md, "Escalation"). Pure: the
 * notification service keeps the state durably and calls these with its clock.
 *
 * Raised at t0 (the routing rule's targets are told at once). Not acknowledged by
 * t0 + ackTimeoutMinutes: level 1. Every repeatMinutes after that, the next level; after the last
 * level, the last level again every repeatMinutes, at most finalRepeats times.
 */
import type { EscalationPolicy } from './notification-model.ts';

const MINUTE_MS = 60_000;

/** An alarm's escalation as the store keeps it. */
export interface EscalationState {
  alarmId: string;
  policyId: string;
  /** The routing rule that chose the policy. */
  ruleId: string;
  /** Escalation notifications made so far (0: only the first notice went out). */
  sent: number;
  /** When the next step is due; null when the policy has nothing more to do. */
  nextAt: number | null;
  /** `active` while it may still escalate; `stopped` by acknowledgement or resolution; `exhausted` when the policy ran out. */
  state: 'active' | 'stopped' | 'exhausted';
  /** Why it stopped: `acknowledged by user:quinn`, `resolved`, `policy removed`. */
  reason: string | null;
  startedAt: number;
  updatedAt: number;
}

/** The state of a fresh escalation for an alarm first notified at `at`. */
export function startEscalation(
  p: EscalationPolicy,
  alarmId: string,
  ruleId: string,
  at: number,
): EscalationState {
  return {
    alarmId,
    policyId: p.id,
    ruleId,
    sent: 0,
    nextAt: at + p.ackTimeoutMinutes * MINUTE_MS,
    state: 'active',
    reason: null,
    startedAt: at,
    updatedAt: at,
  };
}

/** Total escalation notifications a policy makes: every level once, then the repeats of the last. */
export function escalationSteps(p: EscalationPolicy): number {
  return p.levels.length + p.finalRepeats;
}

/**
 * The step due now: which level to notify (0-based index into `levels`) and the state after it.
 * Null when nothing is due. A step found late (the server was down) is made once, and the next
 * one is counted from now, so a restart never fires a burst of levels.
 */
export function dueStep(
  p: EscalationPolicy,
  s: EscalationState,
  now: number,
): { level: number; repeat: boolean; next: EscalationState } | null {
  if (s.state !== 'active' || s.nextAt === null || now < s.nextAt) return null;
  const total = escalationSteps(p);
  if (s.sent >= total) return null;
  const level = Math.min(s.sent, p.levels.length - 1);
  const sent = s.sent + 1;
  const period = p.repeatMinutes * MINUTE_MS;
  const base = now - s.nextAt >= period ? now : s.nextAt;
  const done = sent >= total;
  return {
    level,
    repeat: s.sent >= p.levels.length,
    next: {
      ...s,
      sent,
      nextAt: done ? null : base + period,
      state: done ? 'exhausted' : 'active',
      updatedAt: now,
    },
  };
}

/** The state after acknowledgement, resolution or a removed policy. */
export function stopEscalation(s: EscalationState, reason: string, now: number): EscalationState {
  return { ...s, state: 'stopped', nextAt: null, reason, updatedAt: now };
}
