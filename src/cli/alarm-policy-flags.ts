/**
 * `vigil shipment create` flags for a shipment's own alarm policy (docs/alarms.md):
 *
 *   --warning-above SPEC   --warning-below SPEC   --critical-above SPEC   --critical-below SPEC
 *   --hysteresis C         --merge-gap-minutes N
 *
 * SPEC is `[OP]LIMIT[:DURATION]` or `off`: `8:15m` (above 8 °C for 15 min), `>=8:15m` (the limit
 * itself counts), `<=-0.5:5m`, `30m` alone keeps the preset's limit. OP is `>` or `>=` for an
 * `above` side, `<` or `<=` for a `below` side. A negative limit is given as `--flag=-0.5:5m`.
 */
import { ALARM_TIERS, type AlarmPolicyInput, TIER_SIDES } from '../coldchain/alarm-policy.ts';
import { parseDuration, usage } from './io.ts';

/** The flags as `parseArgs` options. */
export const ALARM_POLICY_OPTIONS = {
  'warning-above': { type: 'string' },
  'warning-below': { type: 'string' },
  'critical-above': { type: 'string' },
  'critical-below': { type: 'string' },
  hysteresis: { type: 'string' },
  'merge-gap-minutes': { type: 'string' },
} as const;

type SideInput = { limitC?: number; inclusive?: boolean; durationMs?: number } | null;

function parseSide(flag: string, side: 'above' | 'below', value: string): SideInput {
  if (value === 'off') return null;
  const m = /^(>=|<=|>|<)?(-?\d+(?:\.\d+)?)?(?::(.+))?$/.exec(value.trim());
  const durationOnly = /^\d+(?:\.\d+)?(?:ms|s|m|h|d)$/.test(value.trim());
  if (durationOnly) return { durationMs: parseDuration(`--${flag}`, value.trim()) as number };
  if (!m || (m[2] === undefined && m[3] === undefined)) {
    usage(`--${flag} must be LIMIT[:DURATION] (e.g. 8:15m, >=8:15m, <=-0.5:5m), a duration, or off`);
  }
  const op = m[1];
  if (op && (side === 'above') !== op.startsWith('>'))
    usage(`--${flag}: use ${side === 'above' ? '> or >=' : '< or <='}`);
  return {
    ...(m[2] !== undefined ? { limitC: Number(m[2]) } : {}),
    ...(op ? { inclusive: op.endsWith('=') } : {}),
    ...(m[3] !== undefined ? { durationMs: parseDuration(`--${flag}`, m[3]) as number } : {}),
  };
}

function parseNumber(flag: string, value: string): number {
  if (!/^\d+(?:\.\d+)?$/.test(value.trim())) usage(`--${flag} must be a number, e.g. 0.5`);
  return Number(value);
}

/** The alarm policy the flags give, or undefined when none is given. Range checks are the profile's. */
export function alarmPolicyFromFlags(
  values: { readonly [K in keyof typeof ALARM_POLICY_OPTIONS]?: string | undefined },
): AlarmPolicyInput | undefined {
  const tiers: Record<string, Record<string, SideInput>> = {};
  for (const tier of ALARM_TIERS) {
    for (const side of TIER_SIDES) {
      const flag = `${tier}-${side}` as const;
      const v = values[flag];
      if (v === undefined) continue;
      tiers[tier] ??= {};
      (tiers[tier] as Record<string, SideInput>)[side] = parseSide(flag, side, v);
    }
  }
  const policy: AlarmPolicyInput = {
    ...(Object.keys(tiers).length > 0 ? { tiers: tiers as AlarmPolicyInput['tiers'] } : {}),
    ...(values.hysteresis !== undefined ? { hysteresisC: parseNumber('hysteresis', values.hysteresis) } : {}),
    ...(values['merge-gap-minutes'] !== undefined
      ? { mergeGapMinutes: parseNumber('merge-gap-minutes', values['merge-gap-minutes']) }
      : {}),
  };
  return Object.keys(policy).length > 0 ? policy : undefined;
}
