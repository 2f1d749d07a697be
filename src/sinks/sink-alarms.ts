import type { AlarmStore } from '../alarms/alarm-store.ts';
import type { SinkStatus } from './sink-runner.ts';

/** The subject of alarms about Vigil itself rather than a device (as the continuity alarms). */
export const SINK_ALARM_SUBJECT = 'vigil';

/** The alarm rule of one sink: one alarm per sink, at most one active. */
export function sinkAlarmRule(name: string): string {
  return `sink-failing:${name}`;
}

/**
 * Keeps the `sink-failing:<name>` alarms in step with the sinks: a sink failing for at least
 * `alarmAfterMs` opens a warning (updated as it goes on: failures, last error, backlog); the
 * next delivery resolves it. An alarm left open by an earlier process resolves the same way.
 */
export class SinkAlarms {
  readonly #alarms: AlarmStore;
  readonly #alarmAfterMs: number;
  readonly #clock: () => number;

  constructor(alarms: AlarmStore, alarmAfterMs: number, clock: () => number) {
    this.#alarms = alarms;
    this.#alarmAfterMs = alarmAfterMs;
    this.#clock = clock;
  }

  async apply(statuses: readonly SinkStatus[]): Promise<void> {
    const now = this.#clock();
    for (const s of statuses) {
      const rule = sinkAlarmRule(s.name);
      if (s.failingSince !== null && now - s.failingSince >= this.#alarmAfterMs) {
        const minutes = Math.floor((now - s.failingSince) / 60_000);
        await this.#alarms.open(
          {
            rule,
            subject: SINK_ALARM_SUBJECT,
            startedAt: s.failingSince,
            raisedAt: s.failingSince + this.#alarmAfterMs,
            severity: 'warning',
            message: `sink ${s.name} (${s.target}) failing for ${minutes} min, ${s.outbox.pending} readings waiting`,
            detail: {
              sink: s.name,
              failures: s.failures,
              lastError: s.lastError,
              pending: s.outbox.pending,
              dropped: s.outbox.dropped,
            },
          },
          now,
        );
      } else if (s.state === 'ok') {
        await this.resolve(s.name);
      }
    }
  }

  /** Resolves the sink's active alarm, if any. */
  async resolve(name: string): Promise<void> {
    const now = this.#clock();
    const active = await this.#alarms.list({
      rule: sinkAlarmRule(name),
      subject: SINK_ALARM_SUBJECT,
      state: 'active',
      limit: 10,
    });
    for (const a of active) await this.#alarms.resolve(a.id, now, now);
  }
}
