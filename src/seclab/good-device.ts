import { Worker } from 'node:worker_threads';
import type { DeviceBundleFiles } from '../sim/device-bundle.ts';
import type { ProbeJob, ProbeSample } from './probe-worker.ts';
import type { ServiceFigures, ServicePoint } from './seclab-types.ts';
import { percentile } from './stats.ts';

/** Readings per second of the good device (well under the 100/s per-device limit). */
export const PROBE_RATE = 10;
/** A reading without PUBACK after this long counts as failed. */
export const PROBE_TIMEOUT_MS = 5000;

/** The good device's service over `samples`. */
export function serviceOf(samples: readonly ProbeSample[]): ServiceFigures {
  const rtts = samples.filter((s) => Number.isFinite(s.rttMs)).map((s) => s.rttMs);
  return {
    sent: samples.length,
    ok: rtts.length,
    successRate: samples.length === 0 ? 1 : rtts.length / samples.length,
    p50Ms: percentile(rtts, 50),
    p99Ms: percentile(rtts, 99),
  };
}

/**
 * The good device: a provisioned device that keeps publishing while seclab attacks, so that every
 * scenario can say what the attack did to honest traffic. It runs the simulator's device code in a
 * worker thread; this side keeps its samples and answers for any interval.
 */
export class GoodDevice {
  readonly #worker: Worker;
  readonly #samples: ProbeSample[] = [];
  #settledTo = 0;
  #stopped: Promise<void> | undefined;
  #lastError: string | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static async start(bundle: DeviceBundleFiles, brokerUrl: string): Promise<GoodDevice> {
    const job: ProbeJob = {
      bundleDir: bundle.dir,
      brokerUrl,
      ratePerSec: PROBE_RATE,
      timeoutMs: PROBE_TIMEOUT_MS,
    };
    const worker = new Worker(new URL('./probe-worker.ts', import.meta.url), { workerData: job });
    const g = new GoodDevice(worker);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('good device did not connect within 20 s')), 20_000);
      worker.on(
        'message',
        (m: { ready?: true; error?: string; samples?: ProbeSample[]; settledTo?: number }) => {
          if (m.samples) g.#samples.push(...m.samples);
          if (m.settledTo !== undefined) g.#settledTo = Math.max(g.#settledTo, m.settledTo);
          if (m.error) {
            g.#lastError = m.error;
            clearTimeout(t);
            reject(new Error(`good device: ${m.error}`));
          }
          if (m.ready) {
            clearTimeout(t);
            resolve();
          }
        },
      );
      worker.once('error', (err) => {
        clearTimeout(t);
        reject(err);
      });
    });
    return g;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Waits until every reading sent before `until` (epoch ms) has its outcome. */
  async settle(until: number): Promise<void> {
    const deadline = Date.now() + PROBE_TIMEOUT_MS + 2000;
    while (this.#settledTo < until && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  /** Samples of readings sent in [from, to). */
  samples(from: number, to: number): ProbeSample[] {
    return this.#samples.filter((s) => s.at >= from && s.at < to);
  }

  async service(from: number, to: number): Promise<ServiceFigures> {
    await this.settle(to);
    return serviceOf(this.samples(from, to));
  }

  /** One point per second of [from, to), `atMs` since `origin`. */
  async timeline(from: number, to: number, origin = from): Promise<ServicePoint[]> {
    await this.settle(to);
    const points: ServicePoint[] = [];
    for (let s = from; s < to; s += 1000) {
      const win = this.samples(s, Math.min(to, s + 1000));
      const f = serviceOf(win);
      points.push({ atMs: s - origin, p99Ms: f.p99Ms, sent: f.sent, failed: f.sent - f.ok });
    }
    return points;
  }

  /** Stops publishing, waits for outstanding PUBACKs (bounded) and ends the worker. */
  stop(): Promise<void> {
    this.#stopped ??= new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        void this.#worker.terminate();
        resolve();
      }, PROBE_TIMEOUT_MS + 5000);
      this.#worker.on('message', (m: { stopped?: boolean }) => {
        if (!m.stopped) return;
        clearTimeout(t);
        void this.#worker.terminate().then(() => resolve());
      });
      this.#worker.postMessage({ stop: true });
    });
    return this.#stopped;
  }
}
