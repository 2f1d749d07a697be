/**
 * The "logger display" of a simulated truck (demo only; operators): the delivery token a real
 * logger shows on its own screen for the receiver to type in, so a new user can try proof of
 * delivery end to end. Clearly marked as simulation; real loggers have no such panel (the API
 * answers `display: null` for them).
 */
import { api } from '../api.ts';
import type { AppContext } from '../context.ts';
import { h, replace } from '../dom.ts';
import { absTime } from '../format.ts';
import type { Device, LoggerDisplayView } from '../types.ts';
import { card } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';

export async function showLoggerDisplay(host: HTMLElement, d: Device, ctx: AppContext): Promise<void> {
  if (d.profile !== 'vaccine-transport' || !ctx.can('devices.control')) return;
  let v: LoggerDisplayView['display'];
  try {
    v = (await api<LoggerDisplayView>(`/devices/${encodeURIComponent(d.id)}/display`)).display;
  } catch {
    v = null; // no panel: the page works without it
  }
  if (!v) return void replace(host);
  replace(
    host,
    card(
      [
        icon('truck'),
        ' Logger display ',
        h('span', { class: 'badge badge-info', testid: 'sim-badge' }, 'Simulation'),
      ],
      [
        h(
          'div',
          { class: 'logger-screen', testid: 'logger-display' },
          h('div', { class: 'logger-line' }, v.shipment ?? 'Trip'),
          h('div', { class: 'logger-line' }, `Batch ${v.batch}`),
          h('div', { class: 'logger-token', testid: 'logger-token' }, v.token),
          h('div', { class: 'logger-line' }, `Dispatched ${absTime(v.dispatchedAt)}`),
        ),
        h(
          'p',
          { class: 'muted small' },
          'This truck is simulated. A real logger shows its delivery token on its own screen only; here it is shown so you can confirm a delivery under ',
          h('a', { href: `#/delivery` }, 'Delivery'),
          ' as a receiver would.',
        ),
      ],
      { testid: 'logger-display-card' },
    ),
  );
}
