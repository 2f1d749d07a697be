import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { openContext, type VigilContext } from '../data-dir/context.ts';
import { VigilError } from '../errors.ts';
import { didYouMean } from './did-you-mean.ts';

/** Every command takes `--data-dir DIR` (default `VIGIL_DATA_DIR`, else `./vigil-data`). */
const DATA_DIR_OPTION = { 'data-dir': { type: 'string' } } as const;

/**
 * A `node:util` parseArgs error in Vigil's words: the flag it is about, what is wrong, and the
 * flag that was probably meant.
 */
function parseError(err: unknown, known: string[]): VigilError | null {
  const e = err as { code?: string; message?: string };
  if (typeof e?.code !== 'string' || !e.code.startsWith('ERR_PARSE_ARGS')) return null;
  const flag = /'(-[^' ]+)/.exec(e.message ?? '')?.[1] ?? '';
  const arg = /argument '([^']*)'/i.exec(e.message ?? '')?.[1] ?? '';
  const text =
    e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
      ? `unknown option ${flag}${didYouMean(flag.replace(/^-+/, ''), known, '--')}`
      : e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
        ? `unexpected argument "${arg}"`
        : /does not take an argument/.test(e.message ?? '')
          ? `${flag} takes no value`
          : /ambiguous/.test(e.message ?? '')
            ? `${flag} needs a value; one starting with "-" is written ${flag}=-VALUE`
            : `${flag} needs a value`;
  return new VigilError('VIGIL_ERR_USAGE', text);
}

/**
 * A command's flags (`--data-dir` included) and positionals, in Vigil's words on error: an unknown
 * flag (with the one probably meant), a flag without its value, and more positionals than
 * `positionals` allows (false: none; a number: at most that many) are usage errors.
 */
export function parseCommand<const O extends ParseArgsOptionsConfig>(
  argv: string[],
  options: O,
  opts: { positionals?: boolean | number } = {},
) {
  const all = { ...DATA_DIR_OPTION, ...options };
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof all }>>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: all });
  } catch (err) {
    throw parseError(err, Object.keys(all)) ?? err;
  }
  const max =
    opts.positionals === false
      ? 0
      : opts.positionals === true || opts.positionals === undefined
        ? Infinity
        : opts.positionals;
  const extra = parsed.positionals[max];
  if (extra !== undefined) throw new VigilError('VIGIL_ERR_USAGE', `unexpected argument "${extra}"`);
  return parsed;
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
