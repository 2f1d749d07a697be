import type { Logger } from 'pino';
import type { Store } from './store.ts';

/**
 * Polls the store for device-registry changes (devices, key generations, certificates) committed
 * by any connection, such as a second `vigil` command on the same data directory, and calls
 * `onChange`. Store.changeToken makes the poll one cheap read (SQLite: a trigger-kept counter).
 */
export async function watchStoreChanges(p: {
  store: Store;
  intervalMs: number;
  logger: Logger;
  onChange: () => Promise<void>;
}): Promise<{ stop(): void }> {
  // Read the starting point now: a change made right after start must not become the baseline.
  let last: number | undefined = await p.store.changeToken();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const token = await p.store.changeToken();
      if (last !== undefined && token !== last) await p.onChange();
      last = token;
    } catch (err) {
      p.logger.error({ err }, 'change watcher failed');
    } finally {
      busy = false;
    }
  }, p.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
