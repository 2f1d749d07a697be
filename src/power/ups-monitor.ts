import type { Logger } from 'pino';
import type { Condition } from '../alarms/condition.ts';
import { listUpsVars, type NutTarget, type UpsReading, upsReading } from './nut-client.ts';

/** The host's UPS as last polled. */
export interface UpsStatus {
  ups: string;
  host: string;
  port: number;
  reachable: boolean;
  reading: UpsReading | null;
  lastPollAt: number | null;
  /** Why the last poll failed (VIGIL_ERR_UPS detail), null when it worked. */
  error: string | null;
  /** Since when the UPS is on battery (null: on line or unknown). */
  onBatterySince: number | null;
}

export interface UpsMonitor {
  status(): UpsStatus;
  conditions(): Condition[];
  /** Polls once now (tests; the timer polls every `pollMs`). */
  poll(): Promise<UpsStatus>;
  stop(): void;
}

/**
 * Polls the host's UPS through NUT's upsd and reports it (system page, /metrics, alarms:
 * `ups-on-battery`, `ups-low-battery`, `ups-unreachable`). On low battery (LB) it calls
 * `onLowBattery` once, so that Vigil shuts down gracefully before the power is gone.
 */
export function startUpsMonitor(o: {
  target: NutTarget;
  pollMs: number;
  clock: () => number;
  logger: Logger;
  onLowBattery?: (s: UpsStatus) => void;
  onChange?: () => void;
}): UpsMonitor {
  let s: UpsStatus = {
    ups: o.target.ups,
    host: o.target.host,
    port: o.target.port,
    reachable: false,
    reading: null,
    lastPollAt: null,
    error: null,
    onBatterySince: null,
  };
  let lowFired = false;
  let polling: Promise<UpsStatus> | null = null;
  const poll = (): Promise<UpsStatus> => {
    polling ??= (async () => {
      const now = o.clock();
      const before = JSON.stringify([s.reachable, s.reading?.flags]);
      try {
        const reading = upsReading(await listUpsVars(o.target));
        s = {
          ...s,
          reachable: true,
          reading,
          lastPollAt: now,
          error: null,
          onBatterySince: reading.onBattery ? (s.onBatterySince ?? now) : null,
        };
        if (reading.lowBattery && !lowFired) {
          lowFired = true;
          o.logger.warn(
            { ups: o.target.ups, charge: reading.chargePct, runtimeS: reading.runtimeS },
            'UPS low battery: shutting down',
          );
          o.onLowBattery?.(s);
        }
      } catch (err) {
        s = { ...s, reachable: false, lastPollAt: now, error: (err as Error).message.slice(0, 200) };
      }
      if (JSON.stringify([s.reachable, s.reading?.flags]) !== before) o.onChange?.();
      return s;
    })().finally(() => {
      polling = null;
    });
    return polling;
  };
  const timer = setInterval(() => void poll(), o.pollMs);
  timer.unref();
  void poll();
  return {
    status: () => s,
    poll,
    conditions: () => {
      const r = s.reading;
      const where = `${s.ups}@${s.host}:${s.port}`;
      const charge = r?.chargePct !== null && r?.chargePct !== undefined ? `, battery ${r.chargePct} %` : '';
      const runtime =
        r?.runtimeS !== null && r?.runtimeS !== undefined ? `, ${Math.round(r.runtimeS / 60)} min left` : '';
      return [
        {
          rule: 'ups-unreachable',
          active: s.lastPollAt !== null && !s.reachable,
          severity: 'warning',
          message: `UPS ${where} cannot be read: ${s.error ?? ''}`.slice(0, 300),
        },
        {
          rule: 'ups-on-battery',
          active: s.reachable && r?.onBattery === true,
          severity: 'warning',
          message: `host on UPS battery power (${where}${charge}${runtime})`,
          ...(s.onBatterySince !== null ? { since: s.onBatterySince } : {}),
        },
        {
          rule: 'ups-low-battery',
          active: s.reachable && r?.lowBattery === true,
          severity: 'critical',
          message: `UPS battery low (${where}${charge}${runtime}): Vigil shuts down gracefully`,
        },
      ];
    },
    stop: () => clearInterval(timer),
  };
}
