/** What every page receives: the signed-in user, permission checks, the fleet store, the feed. */
import type { LiveFeed } from './live.ts';
import type { FleetStore } from './store.ts';
import type { Me } from './types.ts';

export interface AppContext {
  me: Me;
  /** Whether `/api/v1/auth/me` lists this permission (src/auth/rbac.ts names). */
  can(permission: string): boolean;
  store: FleetStore;
  live: LiveFeed;
  navigate(hash: string): void;
}

/**
 * A page draws itself into `root` and returns its clean-up (timers, subscriptions). `params` are
 * the route's path parameters and query (`#/device/truck-1?range=7d`).
 */
export type Page = (
  root: HTMLElement,
  ctx: AppContext,
  params: Record<string, string>,
) => (() => void) | undefined;
