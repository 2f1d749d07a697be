/** Link base of notifications: `notifications.dashboardUrl`, else this server on localhost. */
export function dashboardUrlOf(
  config: { notifications: { dashboardUrl?: string | undefined } },
  httpPort: () => number,
): () => string {
  return () => config.notifications.dashboardUrl ?? `https://localhost:${httpPort()}`;
}
