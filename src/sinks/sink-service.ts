import type { Logger } from 'pino';
import type { AlarmStore } from '../alarms/alarm-store.ts';
import type { SinksConfig } from '../config/sinks-schema.ts';
import type { Sink } from './sink.ts';
import { SinkAlarms } from './sink-alarms.ts';
import type { SinkOutbox } from './sink-outbox.ts';
import { SinkRunner, type SinkStatus } from './sink-runner.ts';

/** How often the sink alarms are brought in step with the sinks. */
const ALARM_TICK_MS = 10_000;

export interface SinkServiceOptions {
  sinks: readonly Sink[];
  config: Pick<SinksConfig, 'alarmAfterMinutes' | 'maxOutbox' | 'timeoutMs' | 'retryMaxMs'>;
  outbox: SinkOutbox;
  alarms: AlarmStore;
  logger: Logger;
  clock: () => number;
  random?: () => number;
  /** Tests shorten it. */
  alarmTickMs?: number;
}

export interface SinkService {
  /** Readings were stored: idle runners look at their outboxes now. */
  wake(): void;
  status(): Promise<SinkStatus[]>;
  stop(): Promise<void>;
}

/**
 * Registers the configured sinks with the outbox (from then on every stored reading is queued
 * for each of them), runs one runner per sink and keeps the sink alarms in step. With no sink
 * configured the outbox is emptied and nothing runs.
 */
export async function startSinkService(o: SinkServiceOptions): Promise<SinkService> {
  const { outbox } = o;
  await outbox.setTargets(
    o.sinks.map((s) => ({ name: s.name, capacity: o.config.maxOutbox, devices: s.devices })),
  );
  const alarms = new SinkAlarms(o.alarms, o.config.alarmAfterMinutes * 60_000, o.clock);
  const runners = o.sinks.map(
    (sink) =>
      new SinkRunner({
        sink,
        outbox,
        clock: o.clock,
        random: o.random ?? Math.random,
        logger: o.logger,
        timeoutMs: o.config.timeoutMs,
        retryMaxMs: o.config.retryMaxMs,
      }),
  );
  for (const r of runners) r.start();
  const status = () => Promise.all(runners.map((r) => r.status()));
  const tick = async () => {
    try {
      await alarms.apply(await status());
    } catch (err) {
      o.logger.error({ err }, 'sink alarm update failed');
    }
  };
  const timer =
    runners.length > 0 ? setInterval(() => void tick(), o.alarmTickMs ?? ALARM_TICK_MS) : undefined;
  timer?.unref();
  return {
    wake: () => {
      for (const r of runners) r.wake();
    },
    status,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(runners.map((r) => r.stop()));
    },
  };
}
