/** Gateways as `/api/v1/gateways` gives them, and which gateway relays each device ("via GW-ID"). */
import { api } from './api.ts';

export interface GatewayStatus {
  uplink: 'up' | 'down';
  queueDepth?: number;
  queueBytes?: number;
  maxQueueBytes?: number;
  oldestQueuedAgeMs?: number;
  queueFull?: boolean;
  devicesOnline?: number;
  devicesBound?: number;
  forwarded?: number;
  commandsQueued?: number;
  receivedAt: string;
}

export interface Gateway {
  id: string;
  devices: string[];
  revoked: boolean;
  createdAt: string;
  status: GatewayStatus | null;
}

let via = new Map<string, string>();
let inflight: Promise<Gateway[]> | null = null;

/** Fetches the gateways (one request at a time) and refreshes the device → gateway map. */
export function loadGateways(): Promise<Gateway[]> {
  inflight ??= api<{ gateways: Gateway[] }>('/gateways')
    .then((r) => {
      // A revoked gateway relays for nobody (docs/gateway.md): its devices are not "via" it.
      via = new Map(
        r.gateways.filter((g) => !g.revoked).flatMap((g) => g.devices.map((d) => [d, g.id] as const)),
      );
      return r.gateways;
    })
    .finally(() => {
      inflight = null;
    });
  return inflight;
}

/** The gateway relaying a device, as last loaded. */
export function viaOf(deviceId: string): string | undefined {
  return via.get(deviceId);
}
