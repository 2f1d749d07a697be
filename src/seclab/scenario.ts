import type { GoodDevice } from './good-device.ts';
import type { Lab } from './lab.ts';
import type { Family, Layer, Property } from './seclab-types.ts';

export type RunMode = 'quick' | 'full';

/** What a scenario found (the runner adds timing and the good device's service). */
export interface Outcome {
  verdict: 'refused' | 'got through' | 'skipped' | 'error';
  observed: string;
  evidence: string[];
  /** Floods: what the attacker did (connections opened, messages sent, ...). */
  attack?: Record<string, number | string>;
}

export interface ScenarioContext {
  lab: Lab;
  good: GoodDevice;
  mode: RunMode;
  /** Floods: how long the attack phase lasts. */
  durationMs: number;
  /** Aborted on Ctrl-C or when the scenario overruns its time bound. */
  signal: AbortSignal;
  log: (line: string) => void;
}

/** One attack: what it targets, what Vigil promises, and the code that tries it. */
export interface Scenario {
  id: string;
  family: Family;
  title: string;
  attacked: string;
  expected: string;
  /** Layers that defeat it and the properties it threatens (the evaluation's CIA matrix). */
  layers: Layer[];
  properties: Property[];
  modes: readonly RunMode[];
  /** Measured before / during / after with CPU, RSS and log bytes; run for `durationMs`. */
  flood?: true;
  /** Restarts the target on purpose: the good device's gap is expected and not judged. */
  restartsTarget?: true;
  /** Upper bound of the run, on top of `durationMs` for floods. */
  timeoutMs: number;
  run(ctx: ScenarioContext): Promise<Outcome>;
}

export const QUICK_AND_FULL = ['quick', 'full'] as const;
export const FULL_ONLY = ['full'] as const;

export function refusedIf(ok: boolean, observed: string, evidence: string[]): Outcome {
  return { verdict: ok ? 'refused' : 'got through', observed, evidence };
}

/** A scenario's own failure (not a finding about Vigil): its message, for the report. */
export function errorOutcome(err: unknown): Outcome {
  const msg = err instanceof Error ? err.message : String(err);
  return { verdict: 'error', observed: `the scenario could not run: ${msg.slice(0, 300)}`, evidence: [] };
}

/** A scenario's `run` that reports a throw of `go` as an error outcome (the scenario could not run). */
export function guarded(go: (ctx: ScenarioContext) => Promise<Outcome>): Scenario['run'] {
  return async (ctx) => {
    try {
      return await go(ctx);
    } catch (err) {
      return errorOutcome(err);
    }
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
