/**
 * Runs `fn` when requested, never twice at once: requests made while it runs are served by one
 * more run after it (many certificate switches in a second rebuild the CRL twice, not N times).
 */
export function coalesce(fn: () => Promise<void>): { request(): Promise<void> } {
  let running: Promise<void> | undefined;
  let again: Promise<void> | undefined;
  return {
    request() {
      if (!running) {
        running = fn().finally(() => {
          running = undefined;
        });
        return running;
      }
      again ??= running
        .catch(() => {})
        .then(() => {
          again = undefined;
          return this.request();
        });
      return again;
    },
  };
}
