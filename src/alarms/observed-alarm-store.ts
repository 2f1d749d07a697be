import type { AlarmRecord, AlarmStore } from './alarm-store.ts';

/**
 * Wraps an {@link AlarmStore} so that every change (opened, updated, resolved, corrected,
 * disproved, acknowledged) is reported to `onChange` after it is stored. The live feed uses it:
 * whoever writes alarms (the rules, the API) goes through this wrapper and the dashboards hear
 * about it. `onChange` must not throw or block; an exception is swallowed so that a listener can
 * never fail a write.
 */
export function observeAlarmStore(inner: AlarmStore, onChange: (alarm: AlarmRecord) => void): AlarmStore {
  const emit = (a: AlarmRecord | null): void => {
    if (!a) return;
    try {
      onChange(a);
    } catch {
      // a listener's failure is its own problem, never the writer's
    }
  };
  return {
    open: async (input, at) => {
      const r = await inner.open(input, at);
      emit(r.alarm);
      return r;
    },
    update: async (id, patch, at) => {
      const a = await inner.update(id, patch, at);
      emit(a);
      return a;
    },
    resolve: async (id, resolvedAt, at, patch) => {
      const a = await inner.resolve(id, resolvedAt, at, patch);
      emit(a);
      return a;
    },
    correct: async (id, patch, at) => {
      const r = await inner.correct(id, patch, at);
      emit(r?.after ?? null);
      return r;
    },
    disprove: async (id, disproof, resolvedAt, at) => {
      const a = await inner.disprove(id, disproof, resolvedAt, at);
      emit(a);
      return a;
    },
    acknowledge: async (id, ack) => {
      const a = await inner.acknowledge(id, ack);
      emit(a);
      return a;
    },
    list: (q) => inner.list(q),
    get: (id) => inner.get(id),
  };
}
