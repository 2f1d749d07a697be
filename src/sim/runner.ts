import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { VigilContext } from '../data-dir/context.ts';
import { addDevice } from '../devices/device-service.ts';
import type { DeviceEventBody } from '../protocol/bodies.ts';
import type { DeviceProfile } from '../protocol/device-profile.ts';
import { readDeviceBundle } from './device-bundle.ts';
import { readLoggerDisplay, writeLoggerDisplay } from './logger-display.ts';
import type { DispatchEvent } from './model/events.ts';
import { createModel } from './model/index.ts';
import { allCorridorRoutes } from './model/routes.ts';
import type { ReconnectSettings } from './reconnect-policy.ts';
import { SimDevice } from './sim-device.ts';

const PREFIX: Record<DeviceProfile, string> = {
  'vaccine-transport': 'sim-truck',
  'patient-vitals': 'sim-vitals',
  'temperature-probe': 'sim-probe',
};

export interface SimFleetOptions {
  profile: DeviceProfile;
  devices: number;
  /** Readings per second per device. */
  rate: number;
  /** Broker URL override (default: the bundle's broker list). */
  brokerUrl?: string | undefined;
  /** Ordered broker list override (primary first). */
  brokers?: readonly string[];
  /** Reconnection backoff and return-to-primary period (tests shorten them). */
  reconnect?: Partial<ReconnectSettings>;
  /** Called when a device connects: which broker, and how long its link was down (null: first). */
  onConnect?: (deviceId: string, broker: string, downMs: number | null) => void;
  /** Number of the first device (sim-truck-001 ...). */
  firstIndex?: number;
  /** Make the first truck have a cooling failure early (demo). */
  forceExcursion?: boolean;
  /** Seed for reproducible runs. */
  seed?: string;
}

export interface SimFleet {
  devices: SimDevice[];
  totals(): {
    sent: number;
    acked: number;
    buffered: number;
    connected: number;
    errors: number;
    failovers: number;
    dropped: number;
  };
  /** Stops recording; with `drainMs`, first waits (that long at most) until every outbox is empty. */
  stop(o?: { drainMs?: number }): Promise<void>;
}

/** Puts a dispatch's batch id and token on the logger's display (and keeps them for a restart). */
function showOnDisplay(dir: string, e: DispatchEvent, routeId: string | null): void {
  writeLoggerDisplay(dir, {
    batch: e.batch,
    token: e.token,
    dispatchedAt: e.ts,
    shipment: e.shipment ?? null,
    routeId,
  });
}

/** Ensures a bundle for each simulated device exists in <data-dir>/sim, provisioning missing ones. */
async function ensureBundle(ctx: VigilContext, id: string, profile: DeviceProfile): Promise<string> {
  const dir = join(ctx.paths.simDir, id);
  if (existsSync(join(dir, 'device.json')) && (await ctx.store.getDevice(id))) return dir;
  if (await ctx.store.getDevice(id)) {
    throw new Error(
      `device ${id} exists but its bundle ${dir} is missing; remove the device or pick other names`,
    );
  }
  await addDevice(ctx, { id, profile, outDir: dir, actor: 'sim' });
  return dir;
}

/**
 * Runs simulated devices through the real path: own bundles, mTLS, envelopes with persisted seq,
 * QoS 1. Each device steps its model `rate` times a second on the wall clock.
 */
export async function startSimFleet(ctx: VigilContext, o: SimFleetOptions): Promise<SimFleet> {
  const first = o.firstIndex ?? 1;
  const devices: SimDevice[] = [];
  const dirs: string[] = [];
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < o.devices; i++) {
    const id = `${PREFIX[o.profile]}-${String(first + i).padStart(3, '0')}`;
    const dir = await ensureBundle(ctx, id, o.profile);
    dirs.push(dir);
    devices.push(
      new SimDevice(readDeviceBundle(dir), {
        brokerUrl: o.brokerUrl,
        ...(o.brokers ? { brokers: o.brokers } : {}),
        ...(o.reconnect ? { reconnect: o.reconnect } : {}),
        ...(o.onConnect ? { onConnect: (b: string, down: number | null) => o.onConnect?.(id, b, down) } : {}),
      }),
    );
  }
  await Promise.all(devices.map((d) => d.connect()));
  const periodMs = Math.max(1, Math.round(1000 / o.rate));
  // Delivery tokens come from the model's rng: without an explicit --seed it is seeded from the
  // OS random source, so tokens cannot be guessed from a known seed.
  const seed = o.seed ?? randomBytes(16).toString('hex');
  devices.forEach((d, i) => {
    const dir = dirs[i] ?? '';
    // A restarted demo continues each truck's trip: same route, batch id and token.
    const trip = o.profile === 'vaccine-transport' ? readLoggerDisplay(dir) : null;
    const route = trip ? allCorridorRoutes().find((r) => r.id === trip.routeId) : undefined;
    const model = createModel(o.profile, {
      id: d.id,
      seed: `${seed}:${d.id}`,
      startTs: Date.now(),
      forceExcursion: o.forceExcursion === true && i === 0,
      ...(trip && route ? { route, resume: trip } : {}),
    });
    d.intervalMs = periodMs;
    // Spread the devices over the period so they do not publish in lockstep.
    const start = setTimeout(
      () => {
        let period = d.intervalMs;
        let timer: NodeJS.Timeout;
        const tick = () => {
          const step = model.step(Date.now());
          for (const e of step.events) if (e.type === 'dispatch') showOnDisplay(dir, e, model.tripRouteId());
          d.record(step.sample, step.events as DeviceEventBody[], step.connected);
          // A `set_interval` command changed the sampling period: follow it.
          if (d.intervalMs !== period) {
            period = d.intervalMs;
            clearInterval(timer);
            timer = setInterval(tick, period);
            timers.push(timer);
          }
        };
        tick();
        timer = setInterval(tick, period);
        timers.push(timer);
      },
      Math.floor((periodMs * i) / Math.max(1, devices.length)),
    );
    timers.push(start);
  });
  return {
    devices,
    totals: () =>
      devices.reduce(
        (t, d) => ({
          sent: t.sent + d.stats.sent,
          acked: t.acked + d.stats.acked,
          buffered: t.buffered + d.stats.buffered,
          connected: t.connected + (d.stats.connected ? 1 : 0),
          errors: t.errors + d.stats.errors,
          failovers: t.failovers + d.stats.failovers,
          dropped: t.dropped + d.stats.dropped,
        }),
        { sent: 0, acked: 0, buffered: 0, connected: 0, errors: 0, failovers: 0, dropped: 0 },
      ),
    stop: async (so = {}) => {
      for (const t of timers) {
        clearTimeout(t);
        clearInterval(t);
      }
      const deadline = Date.now() + (so.drainMs ?? 0);
      while (Date.now() < deadline && devices.some((d) => d.stats.buffered > 0)) {
        for (const d of devices) d.flush();
        await new Promise((r) => setTimeout(r, 100));
      }
      await Promise.all(devices.map((d) => d.close()));
    },
  };
}
