import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VigilError } from '../errors.ts';
import { type ConfigInput, configSchema, deepFreeze, type VigilConfig } from './schema.ts';

export interface ConfigSources {
  /** --data-dir, else VIGIL_DATA_DIR, else ./vigil-data */
  dataDir?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags; they win over the file. */
  overrides?: DeepPartial<ConfigInput>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.VIGIL_DATA_DIR ?? './vigil-data');
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const cur = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
        ? merge(cur as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/**
 * Loads `<dataDir>/config.json` (optional), applies flag overrides, validates once and freezes.
 * Returns every problem with its dotted path in one error.
 */
export function loadConfig(src: ConfigSources = {}): VigilConfig {
  const env = src.env ?? process.env;
  const dataDir = resolveDataDir(src.dataDir, env);
  const file = join(dataDir, 'config.json');
  let fromFile: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new VigilError('VIGIL_ERR_CONFIG', `${file}: ${(err as Error).message}`);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  if (env.VIGIL_LOG_LEVEL) fromEnv.log = { level: env.VIGIL_LOG_LEVEL };
  const input = merge(merge(fromFile, fromEnv), (src.overrides ?? {}) as Record<string, unknown>);
  input.dataDir = dataDir;
  const r = configSchema.safeParse(input);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new VigilError('VIGIL_ERR_CONFIG', problems.join('; '));
  }
  return deepFreeze(r.data);
}
