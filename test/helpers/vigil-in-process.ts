import { main } from '../../src/cli/main.ts';
import { MASTER_KEY_HEX } from './instance.ts';

/** What a `vigil` command run in this process printed, line by line, and its exit code. */
export interface InProcessRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `vigil ARGS --data-dir DIR` in this process (no child, so it works against an instance the
 * test holds open), with the tests' master key.
 */
export async function vigilInProcess(dataDir: string, args: string[]): Promise<InProcessRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...args, '--data-dir', dataDir], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { ...process.env, VIGIL_MASTER_KEY: MASTER_KEY_HEX },
    signal: new AbortController().signal,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
