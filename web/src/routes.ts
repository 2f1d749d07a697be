/**
 * The hash routes (`#/overview`, `#/device/<id>` …) and the permission each needs; navigation
 * hides what the role cannot use and the router refuses it too. Heavy pages (map outlines,
 * charts) load on first use.
 */
import type { Page } from './context.ts';

export interface RouteDef {
  /** First path segment. */
  name: string;
  title: string;
  /** Shown in the navigation bar. */
  nav: boolean;
  /** Any one of these permissions opens the page. */
  anyOf: string[];
  /** The navigation item to highlight for a page that has none of its own (`device` → `overview`). */
  parent?: string;
  load: () => Promise<Page>;
}

export const ROUTES: RouteDef[] = [
  {
    name: 'overview',
    title: 'Fleet',
    nav: true,
    anyOf: ['devices.read'],
    load: async () => (await import('./pages/overview.ts')).overviewPage,
  },
  {
    name: 'map',
    title: 'Map',
    nav: true,
    anyOf: ['devices.read'],
    load: async () => (await import('./pages/map.ts')).mapPage,
  },
  {
    name: 'shipments',
    title: 'Shipments',
    nav: true,
    anyOf: ['shipments.read'],
    load: async () => (await import('./pages/shipments.ts')).shipmentsPage,
  },
  {
    name: 'delivery',
    title: 'Delivery',
    nav: true,
    anyOf: ['shipments.deliver'],
    load: async () => (await import('./pages/delivery.ts')).deliveryPage,
  },
  {
    name: 'alarms',
    title: 'Alarms',
    nav: true,
    anyOf: ['alarms.read'],
    load: async () => (await import('./pages/alarms.ts')).alarmsPage,
  },
  {
    name: 'ota',
    title: 'Updates',
    nav: true,
    anyOf: ['devices.read'],
    load: async () => (await import('./pages/ota.ts')).otaPage,
  },
  {
    name: 'gateways',
    title: 'Gateways',
    nav: true,
    anyOf: ['devices.read'],
    load: async () => (await import('./pages/gateways.ts')).gatewaysPage,
  },
  {
    name: 'system',
    title: 'System',
    nav: true,
    anyOf: ['system.read'],
    load: async () => (await import('./pages/system.ts')).systemPage,
  },
  {
    name: 'audit',
    title: 'Audit',
    nav: true,
    anyOf: ['audit.read'],
    load: async () => (await import('./pages/audit.ts')).auditPage,
  },
  {
    name: 'admin',
    title: 'Admin',
    nav: true,
    anyOf: ['users.manage', 'tokens.manage', 'devices.manage', 'notifications.manage'],
    load: async () => (await import('./pages/admin.ts')).adminPage,
  },
  {
    name: 'device',
    title: 'Device',
    nav: false,
    anyOf: ['devices.read'],
    load: async () => (await import('./pages/device.ts')).devicePage,
  },
  {
    name: 'shipment',
    title: 'Shipment',
    nav: false,
    anyOf: ['shipments.read'],
    parent: 'shipments',
    load: async () => (await import('./pages/shipment.ts')).shipmentPage,
  },
];

export interface ParsedHash {
  name: string;
  rest: string[];
  query: Record<string, string>;
}

export function parseHash(hash: string): ParsedHash {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', qs = ''] = raw.split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(qs)) query[k] = v;
  return { name: parts[0] ?? '', rest: parts.slice(1), query };
}
