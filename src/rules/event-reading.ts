/**
 * Device events as readings, so that the door, power and battery rules see them in timestamp
 * order with the samples. They carry `source: 'event'` and do not count as data for the gap rule.
 */
import type { Reading } from './rule.ts';

/** The event body (`parseEventBody`) and its envelope timestamp, for events without their own `ts`. */
export function readingFromEvent(
  event: { readonly type: string; readonly ts?: number } & Readonly<Record<string, unknown>>,
  envelopeTs: number,
): Reading | undefined {
  const ts = typeof event.ts === 'number' ? event.ts : envelopeTs;
  switch (event.type) {
    case 'door':
      return event['state'] === 'open' || event['state'] === 'closed'
        ? { ts, data: { door: event['state'] }, source: 'event' }
        : undefined;
    case 'power':
      return typeof event['source'] === 'string'
        ? { ts, data: { power: event['source'] }, source: 'event' }
        : undefined;
    case 'battery_low':
      return typeof event['bat_pct'] === 'number'
        ? { ts, data: { bat_pct: event['bat_pct'] }, source: 'event' }
        : undefined;
    default:
      return undefined;
  }
}
