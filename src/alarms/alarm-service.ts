/**
 * The alarm service: runs the rules (src/rules) on what the ingest pipeline accepts and keeps
 * the alarms table (src/alarms) in step with them.
 *
 * - One rule engine for the whole server; its subjects are device ids. The rule set of a device
 *   is chosen by src/alarms/subject-rules.ts: the cold-chain rules of a logger's shipment
 *   profile ({@link AlarmService.configureSubject}, set at dispatch) or of its device profile's
 *   default; the vitals rules for a patient monitor.
 * - Plus the sensor-fault rules of the device's kind (flat line, impossible value, rate of change),
 *   and one statistical monitor per device (device-monitors.ts, `kind: 'statistical'`), which
 *   explains its alarms in the message and keeps the numbers behind them in the alarm's detail.
 * - Samples and door/power/battery events (as readings, `readingFromEvent`) come from the
 *   pipeline's `onAccepted`, after they are durable. They are coalesced per device and judged in
 *   one serial queue; `tick()` runs every `tickMs` so silence (data gap) is noticed by the clock.
 * - Every transition is written to the AlarmStore by the alarm writer (src/alarms/alarm-writer.ts:
 *   corrections of resolved alarms and disproved alarms are kept and audited).
 * - On start, and whenever a device's rule set changes, the device is (re)loaded: its stored
 *   alarms of the retention window are given back to the engine (`restore`) and its recent
 *   readings and events are replayed from the store page by page (rule-history.ts), so the rules
 *   continue across a restart without opening a second alarm for a period that already has one;
 *   its statistical monitor is rebuilt from the readings of its history window (by time).
 * - Memory per device does not grow with stored history: the engine keeps checkpoints of its
 *   rules' states and the newest readings only (released after a load), and late data older than
 *   those is judged with the readings it asks back from the store.
 * - A data-gap alarm that opens while a device is delivering buffered samples (a backlog sent in
 *   several envelopes is silent between them) is held until the next tick and written only if
 *   the gap is still open then.
 * - Errors are logged and counted, never thrown into the pipeline.
 */
import type { Logger } from 'pino';
import type { AcceptedMessage } from '../ingest/pipeline.ts';
import type { Alarm, AlarmTransition, AlarmUnit, Reading, RuleNode } from '../rules/rule.ts';
import { createRuleEngine, type RuleEngine } from '../rules/rule-engine.ts';
import type { DeviceRecord, Store } from '../storage/store.ts';
import type { AlarmStore } from './alarm-store.ts';
import { createAlarmWriter, storedAlarms, toRuleAlarm } from './alarm-writer.ts';
import { createDeviceMonitors } from './device-monitors.ts';
import { createRuleHistory } from './rule-history.ts';
import {
  checkConfig,
  deviceRules,
  eventReading,
  ownsRule,
  type SubjectConfig,
  type SubjectSource,
  subjectProfile,
} from './subject-rules.ts';

export type { SubjectConfig, SubjectSource } from './subject-rules.ts';

export interface AlarmServiceOptions {
  store: Pick<
    Store,
    'queryReadings' | 'queryMessages' | 'countReadings' | 'listDevices' | 'getDevice' | 'appendAudit'
  >;
  /** Where alarms are persisted (the server passes the live-feed-observed store). */
  alarms: AlarmStore;
  logger: Pick<Logger, 'error' | 'warn' | 'debug'>;
  clock: () => number;
  /** How far behind the newest reading late data is judged, and replayed on start (default 72 h). */
  retentionMs?: number;
  /** Bound on the readings behind the newest that late data reaches and a start replays, per device (default 10 000). */
  maxReadingsPerDevice?: number;
  /** Period of the clock-driven check (data gaps); default 30 s, 0 = no timer (tests call tick()). */
  tickMs?: number;
  /** An alarm raised longer than this before it is found is detected late (default 120 s). */
  lateToleranceMs?: number;
  /** False disables the statistical monitors. */
  anomaly?: boolean;
  /** False leaves out the sensor-fault rules (flat line, impossible value, rate of change). */
  sensorFaults?: boolean;
  /** Consulted when a device is first loaded; see {@link AlarmService.setSubjectSource}. */
  subjectSource?: SubjectSource;
}

export interface AlarmServiceStats {
  /** Readings (samples and events) given to the engine. */
  readings: number;
  /** Transitions written to the store. */
  transitions: number;
  /** Failures logged (a failed write, a failed load). */
  errors: number;
  /** Readings dropped because a device's queue was full (the rules fell behind). */
  dropped: number;
}

export interface AlarmService {
  /** Restores and re-ingests every enabled device, then starts the tick timer. */
  start(): Promise<void>;
  /** The pipeline hook (after the message is durable). Never throws. */
  onAccepted(ev: AcceptedMessage): void;
  /**
   * Sets (or with `null` clears) a device's rule configuration: its shipment's profile, route,
   * destination and trip start. The device is reloaded with the new rule set (stored alarms
   * restored, recent readings re-ingested from `since`); its active alarms of rules the new set
   * lacks are resolved. Resolves when done; rejects only on a bad argument.
   */
  configureSubject(deviceId: string, config: SubjectConfig | null): Promise<void>;
  /** The configuration set for a device, if any. */
  subjectConfig(deviceId: string): SubjectConfig | undefined;
  /** Installs the source of configurations for devices loaded from now on (call before start). */
  setSubjectSource(source: SubjectSource | undefined): void;
  /** Runs the clock-driven check now (default: the clock). */
  tick(now?: number): Promise<void>;
  /** Resolves when everything queued so far is processed. */
  idle(): Promise<void>;
  /** The alarms the rules and monitors hold open (one device or all). */
  openAlarms(deviceId?: string): Alarm[];
  readonly stats: AlarmServiceStats;
  /** Stops the timer, ignores further messages and drains the queue. */
  stop(): Promise<void>;
}

const HOUR_MS = 3_600_000;
/** A device's pending readings beyond this are dropped (and counted) until the queue drains. */
const MAX_PENDING_PER_DEVICE = 100_000;
/**
 * The rule engine's memory per device: the newest readings kept (out-of-order arrivals among them
 * are merged without a store read), a checkpoint every so many readings, at most so many
 * checkpoints (late data reaching further back replays at most the stored readings between two).
 */
const ENGINE_MEMORY = { memoryReadings: 32, checkpointEvery: 64, maxCheckpoints: 8 } as const;

export function createAlarmService(o: AlarmServiceOptions): AlarmService {
  const retentionMs = o.retentionMs ?? 72 * HOUR_MS;
  const maxReadings = o.maxReadingsPerDevice ?? 10_000;
  const tickMs = o.tickMs ?? 30_000;
  const anomalyOn = o.anomaly ?? true;
  const sensorFaults = o.sensorFaults ?? true;
  let subjectSource = o.subjectSource;

  const devices = new Map<string, DeviceRecord>();
  const configs = new Map<string, SubjectConfig>();
  const loaded = new Set<string>();
  const monitors = createDeviceMonitors({
    store: o.store,
    kindOf: (id) => (anomalyOn ? devices.get(id)?.profile : undefined),
    profileOf: (id) => subjectProfile(devices.get(id)?.profile, configs.get(id)),
    eventReading: (body, ts) => eventReading({ channel: 'events', body, ts }),
    ...(o.lateToleranceMs !== undefined ? { lateToleranceMs: o.lateToleranceMs } : {}),
  });
  /** Engine alarm id -> the stored alarm it continues; null: not persisted (see loadDevice). */
  const aliases = new Map<string, string | null>();
  /**
   * Data-gap alarms opened while a device was delivering buffered samples: a backlog sent in
   * several envelopes looks silent between them. Written at the next tick if still open.
   */
  const deferred = new Map<string, AlarmTransition>();
  let pending = new Map<string, Reading[]>();
  let flushQueued = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  const stats: AlarmServiceStats = { readings: 0, transitions: 0, errors: 0, dropped: 0 };

  const rulesFor = (deviceId: string): RuleNode[] =>
    deviceRules(devices.get(deviceId)?.profile, configs.get(deviceId), sensorFaults);

  const engine: RuleEngine = createRuleEngine({
    rules: rulesFor,
    retentionMs,
    maxReadings,
    ...ENGINE_MEMORY,
    ...(o.lateToleranceMs !== undefined ? { lateToleranceMs: o.lateToleranceMs } : {}),
  });
  const history = createRuleHistory({
    store: o.store,
    retentionMs,
    maxReadings,
    eventReading,
  });

  function fail(err: unknown, what: string, extra: Record<string, unknown> = {}): void {
    stats.errors++;
    o.logger.error({ err, ...extra }, `alarm service: ${what} failed`);
  }

  /** Runs jobs one after another; a failing job is logged and the queue goes on. */
  function enqueue(what: string, job: () => Promise<void>): Promise<void> {
    const p = chain.then(job).catch((err) => fail(err, what));
    chain = p;
    return p;
  }

  // --- persistence ------------------------------------------------------------------------------

  const persistOne = createAlarmWriter({
    alarms: o.alarms,
    audit: o.store,
    clock: o.clock,
    aliases,
    deferred,
  });

  async function persist(transitions: readonly AlarmTransition[]): Promise<void> {
    for (const t of transitions) {
      try {
        if (await persistOne(t)) stats.transitions++;
      } catch (err) {
        fail(err, 'alarm write', { alarm: t.alarm.id.slice(0, 200), type: t.type });
      }
    }
  }

  // --- devices ----------------------------------------------------------------------------------

  async function refreshDevices(): Promise<void> {
    for (const d of await o.store.listDevices()) devices.set(d.id, d);
  }

  async function knownDevice(id: string): Promise<DeviceRecord | undefined> {
    let d = devices.get(id);
    if (!d) {
      d = (await o.store.getDevice(id)) ?? undefined;
      if (d) devices.set(id, d);
    }
    return d;
  }

  /**
   * (Re)builds a device's rule state: restore its stored alarms, re-ingest its recent readings
   * and events from the store, retrain its anomaly monitor on them.
   */
  async function loadDevice(deviceId: string, now: number): Promise<void> {
    engine.forget(deviceId);
    monitors.forget(deviceId);
    for (const [id, t] of deferred) if (t.alarm.subject === deviceId) deferred.delete(id);
    for (const [k, v] of aliases)
      if (k.startsWith(`${deviceId}/`) || v?.startsWith(`${deviceId}/`)) aliases.delete(k);
    loaded.add(deviceId);
    const nodes = rulesFor(deviceId);
    const units = new Map(nodes.map((n) => [n.rule, n.unit]));
    const stored = await storedAlarms(o.alarms, deviceId, now - 2 * retentionMs);
    engine.restore(
      stored
        .filter((a) => a.kind === 'rule' && units.has(a.rule))
        .map((a) => toRuleAlarm(a, units.get(a.rule) as AlarmUnit)),
    );

    // the rules' history, page by page: its episodes are held and reconciled once, below
    const since = configs.get(deviceId)?.since;
    const plan = await history.replay(deviceId, now, since);
    let catchingUp = false;
    for await (const page of plan.pages()) {
      stats.readings += page.length;
      catchingUp ||= page.some((r) => r.backfill === true);
      engine.ingest(deviceId, page, now, { defer: true });
    }
    const lastSample = plan.newest ?? now;

    // Active alarms of rules this device no longer has (its shipment ended, or changed profile).
    for (const a of stored) {
      if (a.state === 'resolved' || a.kind !== 'rule' || units.has(a.rule) || !ownsRule(a.rule)) continue;
      try {
        await o.alarms.resolve(a.id, Math.min(lastSample, now), now);
      } catch (err) {
        fail(err, 'alarm write', { alarm: a.id.slice(0, 200) });
      }
    }
    await persist(judge(deviceId, [], now, { catchingUp }));
    engine.release(deviceId);

    // Rebuild the monitor from its history window; keep what the store says, and continue only
    // an alarm the store holds.
    const open = await monitors.restore(deviceId, now, since);
    const storedAnomaly = stored.find((a) => a.rule === 'anomaly' && a.state !== 'resolved');
    if (open) aliases.set(open.id, storedAnomaly ? storedAnomaly.id : null);
    else if (storedAnomaly) {
      try {
        await o.alarms.resolve(storedAnomaly.id, Math.min(lastSample, now), now);
      } catch (err) {
        fail(err, 'alarm write', { alarm: storedAnomaly.id.slice(0, 200) });
      }
    }
  }

  /** Loads a device the first time it is seen; false for an unknown one. */
  async function ensureLoaded(deviceId: string, now: number): Promise<boolean> {
    if (loaded.has(deviceId)) return true;
    if (!(await knownDevice(deviceId))) return false;
    if (subjectSource && !configs.has(deviceId)) {
      try {
        const c = await subjectSource(deviceId);
        if (c) {
          checkConfig(c);
          configs.set(deviceId, c);
        }
      } catch (err) {
        fail(err, 'subject configuration', { device: deviceId });
      }
    }
    await loadDevice(deviceId, now);
    return true;
  }

  /**
   * Runs the engine on readings (with the stored ones it needs back); a data gap opened while
   * catching up on a backlog is deferred.
   */
  function judge(
    deviceId: string,
    readings: readonly Reading[],
    now: number,
    extra: { history?: readonly Reading[]; catchingUp?: boolean } = {},
  ): AlarmTransition[] {
    const catchingUp = extra.catchingUp ?? readings.some((r) => r.backfill === true);
    const opts = extra.history ? { history: extra.history } : {};
    return engine.ingest(deviceId, readings, now, opts).transitions.filter((t) => {
      if (!catchingUp || t.type !== 'opened' || t.alarm.rule !== 'data-gap') return true;
      deferred.set(t.alarm.id, t);
      return false;
    });
  }

  // --- the queue's jobs -------------------------------------------------------------------------

  async function flush(): Promise<void> {
    flushQueued = false;
    const batch = pending;
    pending = new Map();
    const now = o.clock();
    for (const [deviceId, readings] of batch) {
      try {
        if (!(await ensureLoaded(deviceId, now))) continue;
        const since = configs.get(deviceId)?.since;
        const judged = since === undefined ? readings : readings.filter((r) => r.ts >= since);
        stats.readings += judged.length;
        const span = engine.historyNeeded(deviceId, judged);
        const stored = span ? await history.span(deviceId, span, since) : undefined;
        await persist(judge(deviceId, judged, now, stored ? { history: stored } : {}));
        await persist(monitors.observe(deviceId, judged, now));
      } catch (err) {
        fail(err, 'rules', { device: deviceId });
      }
    }
  }

  async function runTick(now: number): Promise<void> {
    for (const [id, t] of deferred) {
      deferred.delete(id);
      const still = engine.openAlarms(t.alarm.subject).find((a) => a.id === id);
      if (still) await persist([{ ...t, alarm: still }]);
    }
    await refreshDevices();
    for (const deviceId of engine.subjects()) {
      // a disabled or revoked device is silent on purpose: no data-gap alarm for it
      if (devices.get(deviceId)?.status !== 'enabled') continue;
      await persist(engine.tick(now, deviceId));
    }
  }

  async function idle(): Promise<void> {
    // jobs may queue more jobs (a flush behind a tick): wait until the chain stops growing
    for (let i = 0; i < 100; i++) {
      const tail = chain;
      await tail;
      if (tail === chain) return;
    }
  }

  return {
    stats,

    start() {
      const done = enqueue('start', async () => {
        await refreshDevices();
        const now = o.clock();
        for (const d of devices.values()) {
          if (d.status !== 'enabled' || loaded.has(d.id)) continue;
          try {
            await ensureLoaded(d.id, now);
          } catch (err) {
            fail(err, 'device load', { device: d.id });
          }
        }
      });
      if (tickMs > 0 && !timer && !stopped) {
        timer = setInterval(() => {
          if (!stopped) void enqueue('tick', () => runTick(o.clock()));
        }, tickMs);
        timer.unref();
      }
      return done;
    },

    onAccepted(ev) {
      if (stopped) return;
      try {
        const rs: Reading[] = [...ev.readings];
        for (const m of ev.messages) {
          const r = eventReading(m);
          if (r) rs.push(r);
        }
        if (rs.length === 0) return;
        const list = pending.get(ev.deviceId);
        if (list && list.length + rs.length > MAX_PENDING_PER_DEVICE) {
          stats.dropped += rs.length;
          if (stats.dropped === rs.length)
            o.logger.warn({ device: ev.deviceId }, 'alarm service: falling behind');
          return;
        }
        if (list) list.push(...rs);
        else pending.set(ev.deviceId, rs);
        if (!flushQueued) {
          flushQueued = true;
          void enqueue('rules', flush);
        }
      } catch (err) {
        fail(err, 'onAccepted', { device: ev.deviceId });
      }
    },

    async configureSubject(deviceId, config) {
      if (config) checkConfig(config);
      return enqueue('configure', async () => {
        if (config) configs.set(deviceId, config);
        else configs.delete(deviceId);
        if (!(await knownDevice(deviceId))) return;
        await loadDevice(deviceId, o.clock());
      });
    },

    subjectConfig: (deviceId) => configs.get(deviceId),

    setSubjectSource(source) {
      subjectSource = source;
    },

    tick(now) {
      return enqueue('tick', () => runTick(now ?? o.clock()));
    },

    idle,

    openAlarms(deviceId) {
      const out = engine.openAlarms(deviceId);
      for (const id of deviceId !== undefined ? [deviceId] : monitors.deviceIds()) {
        const a = monitors.openAlarm(id);
        if (a && aliases.get(a.id) !== null) out.push(a);
      }
      return out;
    },

    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await idle();
    },
  };
}
