import type { Lab } from '../lab.ts';
import { FULL_ONLY, type Outcome, type Scenario } from '../scenario.ts';

function alive(pid: number | null): boolean {
  if (!pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A flood of the full run: family dos, judged on availability, 60 s at most. */
export function floodScenario(
  s: Omit<Scenario, 'family' | 'modes' | 'flood' | 'timeoutMs' | 'properties'> &
    Partial<Pick<Scenario, 'properties'>>,
): Scenario {
  return {
    family: 'dos',
    modes: FULL_ONLY,
    flood: true,
    timeoutMs: 60_000,
    properties: ['availability'],
    ...s,
  };
}

/** A flood's outcome: refused while the server lives and `held` says its limits engaged. */
export function floodOutcome(
  lab: Lab,
  held: boolean,
  observed: string,
  evidence: string[],
  attack: Record<string, number | string>,
): Outcome {
  if (!alive(lab.target.pid()))
    return { verdict: 'got through', observed: 'the server process died', evidence, attack };
  return { verdict: held ? 'refused' : 'got through', observed, evidence, attack };
}
