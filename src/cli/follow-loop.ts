/**
 * Runs `poll` every `intervalMs` until `signal` aborts (Ctrl-C): the loop of `--follow`. A poll
 * that returns true had more than one page and runs again at once. Other `vigil` processes commit
 * to the same database (SQLite WAL), so polling a cursor sees each commit once, in commit order.
 */
export async function followLoop(
  signal: AbortSignal,
  intervalMs: number,
  poll: () => Promise<boolean | undefined>,
): Promise<void> {
  while (!signal.aborted) {
    if (await poll()) continue;
    await new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, intervalMs);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
