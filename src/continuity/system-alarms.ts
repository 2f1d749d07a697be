import type { AlarmStore } from '../alarms/alarm-store.ts';
import type { Condition } from '../alarms/condition.ts';

/** The subject of alarms about Vigil itself (backups, power, storage), not about a device. */
export const SYSTEM_SUBJECT = 'vigil';

/**
 * Keeps the system alarms in step with the continuity conditions: an active condition opens (or
 * updates) its alarm, an inactive one resolves it. Alarms are deduplicated per (rule, subject) by
 * the store, so re-applying the same conditions changes nothing.
 */
export class SystemAlarms {
  readonly #alarms: AlarmStore;
  readonly #clock: () => number;
  readonly #since = new Map<string, number>();

  constructor(alarms: AlarmStore, clock: () => number) {
    this.#alarms = alarms;
    this.#clock = clock;
  }

  async apply(conditions: readonly Condition[]): Promise<void> {
    const now = this.#clock();
    for (const c of conditions) {
      const active = await this.#alarms.list({
        rule: c.rule,
        subject: SYSTEM_SUBJECT,
        state: 'active',
        limit: 10,
      });
      if (!c.active) {
        this.#since.delete(c.rule);
        for (const a of active) await this.#alarms.resolve(a.id, now, now);
        continue;
      }
      const since = c.since ?? this.#since.get(c.rule) ?? now;
      this.#since.set(c.rule, since);
      const same = active[0];
      if (same && same.message === c.message && same.severity === c.severity) continue;
      await this.#alarms.open(
        {
          rule: c.rule,
          subject: SYSTEM_SUBJECT,
          kind: 'rule',
          startedAt: since,
          raisedAt: same?.raisedAt ?? now,
          severity: c.severity,
          message: c.message,
          detail: c.detail ?? {},
        },
        now,
      );
    }
  }
}
