/**
 * Small numeric building blocks shared by the models: first-order lags, Ornstein–Uhlenbeck
 * drift and Poisson incident draws. All take the elapsed time explicitly so any step size works.
 */
import { gaussian, type Rng } from '../../random/rng.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Round to `digits` decimals (half away from zero is not needed for sensor values). */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Exact solution of a first-order lag dx/dt = (target − x)/tau over dt (same unit as tau). */
export function relax(x: number, target: number, tau: number, dt: number): number {
  if (tau <= 0) return target;
  return target + (x - target) * Math.exp(-dt / tau);
}

/**
 * Exact Ornstein–Uhlenbeck update: mean reversion with time constant tau and stationary
 * standard deviation sd. Draws two numbers.
 */
export function ouStep(rng: Rng, x: number, mean: number, sd: number, tau: number, dt: number): number {
  const decay = Math.exp(-dt / tau);
  return mean + (x - mean) * decay + sd * Math.sqrt(1 - decay * decay) * gaussian(rng);
}

/**
 * Whether a Poisson process with `perHour` events per hour fires within `dtMs`.
 * Always draws once so streams stay aligned when a rate is zero.
 */
export function firesWithin(rng: Rng, perHour: number, dtMs: number): boolean {
  const u = rng.next();
  return perHour > 0 && u < 1 - Math.exp((-perHour * dtMs) / HOUR_MS);
}

/**
 * Split the interval (from, to] into sub-steps of at most `maxStepMs`, bounded in count so a huge
 * gap cannot stall the caller (the sub-step simply grows). Returns the sub-step end times.
 */
export function subSteps(from: number, to: number, maxStepMs: number, maxCount = 20_000): number[] {
  if (!(to > from)) return [];
  const count = Math.min(maxCount, Math.ceil((to - from) / maxStepMs));
  const out: number[] = [];
  for (let i = 1; i <= count; i++) out.push(i === count ? to : from + ((to - from) * i) / count);
  return out;
}
