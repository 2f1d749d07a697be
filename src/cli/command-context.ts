import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { openContext, type VigilContext } from '../data-dir/context.ts';

/** Every command takes `--data-dir DIR` (default `VIGIL_DATA_DIR`, else `./vigil-data`). */
const DATA_DIR_OPTION = { 'data-dir': { type: 'string' } } as const;

/**
 * A command's flags (`--data-dir` included) and positionals. An unknown flag is a usage error
 * (`parseArgs` strict mode), as is a positional when the command takes none.
 */
export function parseCommand<const O extends ParseArgsOptionsConfig>(
  argv: string[],
  options: O,
  opts: { positionals?: boolean } = {},
) {
  return parseArgs({
    args: argv,
    allowPositionals: opts.positionals ?? true,
    options: { ...DATA_DIR_OPTION, ...options },
  });
}

/**
 * Opens an existing data directory for one command (warnings only on stderr), runs `fn` and
 * closes it, also when `fn` throws. It never creates one: a path that is not a Vigil data
 * directory fails with VIGIL_ERR_NO_DATA_DIR (only `vigil start` and `vigil init` create).
 */
export async function withDataDir<T>(
  dataDir: string | undefined,
  fn: (ctx: VigilContext) => Promise<T>,
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<T> {
  const ctx = await openContext({
    dataDir,
    logLevel: 'warn',
    ...(opts.env ? { env: opts.env } : {}),
  });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
