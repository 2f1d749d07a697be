/**
 * Gateways (docs/gateway.md): each site gateway with its uplink state, store-and-forward queue
 * (depth, bytes, oldest queued age), bound devices online, and the devices it relays.
 */
import { describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { h, replace } from '../dom.ts';
import { bytes, duration, int } from '../format.ts';
import { type Gateway, loadGateways } from '../gateways.ts';
import { badge, emptyState, errorBox, loading, pageHeader, timeAgo } from '../ui/components.ts';

const REFRESH_MS = 5000;

export const gatewaysPage: Page = (root) => {
  const host = h('div', { class: 'table-host' });
  replace(root, pageHeader('Gateways', 'Site relays: uplink, store-and-forward queue, devices'), host);
  replace(host, loading('Loading gateways…'));

  function uplink(g: Gateway): HTMLElement {
    // Revoked: refused at the TLS handshake; whatever it last reported no longer holds.
    if (g.revoked) return badge('bad', 'revoked', 'shield', `gateway-uplink-${g.id}`);
    if (!g.status) return badge('off', 'no report yet', undefined, `gateway-uplink-${g.id}`);
    if (g.status.queueFull) return badge('bad', 'queue full', 'alert', `gateway-uplink-${g.id}`);
    return g.status.uplink === 'up'
      ? badge('ok', 'uplink up', undefined, `gateway-uplink-${g.id}`)
      : badge('warn', 'uplink down', undefined, `gateway-uplink-${g.id}`);
  }

  function row(g: Gateway): HTMLTableRowElement {
    const s = g.status;
    return h(
      'tr',
      { testid: `gateway-row-${g.id}` },
      h('td', { 'data-label': 'Gateway' }, h('strong', null, g.id)),
      h('td', { 'data-label': 'Uplink' }, uplink(g)),
      h(
        'td',
        { 'data-label': 'Queued' },
        s?.queueDepth === undefined ? '-' : `${int(s.queueDepth)} (${bytes(s.queueBytes ?? 0)})`,
      ),
      h(
        'td',
        { 'data-label': 'Oldest queued' },
        s?.oldestQueuedAgeMs ? duration(s.oldestQueuedAgeMs / 1000) : '-',
      ),
      h(
        'td',
        { 'data-label': 'Devices online' },
        s?.devicesOnline === undefined ? '-' : `${s.devicesOnline} of ${g.devices.length}`,
      ),
      h('td', { 'data-label': 'Last report' }, s ? timeAgo(Date.parse(s.receivedAt)) : '-'),
      h(
        'td',
        { 'data-label': 'Devices', class: 'small' },
        g.devices.length === 0
          ? h('span', { class: 'muted' }, 'none')
          : // One inline run: a stacked (phone) cell lays out its children one per line.
            h(
              'span',
              null,
              ...g.devices.flatMap((d, i) => [
                i > 0 ? ', ' : null,
                h('a', { href: `#/device/${encodeURIComponent(d)}` }, d),
              ]),
            ),
      ),
    );
  }

  async function refresh(): Promise<void> {
    try {
      const list = await loadGateways();
      if (list.length === 0) {
        replace(host, emptyState('No gateways.', 'Add one with `vigil gateway add GW-ID --devices …`.'));
        return;
      }
      replace(
        host,
        h(
          'table',
          { class: 'table table-responsive', testid: 'gateway-table' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              [
                'Gateway',
                'Uplink',
                'Queued',
                'Oldest queued',
                'Devices online',
                'Last report',
                'Devices',
              ].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h('tbody', null, list.map(row)),
        ),
      );
    } catch (err) {
      replace(host, errorBox(describeError(err)));
    }
  }
  void refresh();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  return () => clearInterval(timer);
};
