/** The shipment page's header: id, state, profile, route, logger, and the report downloads. */
import type { AppContext } from '../context.ts';
import { h } from '../dom.ts';
import { profileLabel } from '../shipment-view.ts';
import type { ShipmentDetailView } from '../types.ts';
import { toast } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { routeText, shipmentStateBadge } from '../ui/shipment-bits.ts';

export function shipmentHead(d: ShipmentDetailView, ctx: AppContext): HTMLElement {
  const s = d.shipment;
  const actions: HTMLElement[] = [];
  if (s.state === 'in_transit' && ctx.can('shipments.deliver')) {
    actions.push(
      h(
        'a',
        {
          class: 'btn btn-primary',
          href: `#/delivery/${encodeURIComponent(s.id)}`,
          testid: 'shipment-deliver-link',
        },
        icon('check'),
        'Confirm delivery',
      ),
    );
  }
  if (s.dispatch) actions.push(...reportLinks(s.id));
  return h(
    'div',
    { class: 'page-header' },
    h(
      'div',
      { class: 'page-title' },
      h(
        'h1',
        { class: 'device-title' },
        h('span', { class: 'profile-icon profile-vaccine-transport' }, icon('truck')),
        h('span', { testid: 'shipment-id' }, s.id),
      ),
      h(
        'p',
        { class: 'subtitle device-meta' },
        shipmentStateBadge(s.state),
        h('span', null, profileLabel(s, d)),
        routeText(s),
        h(
          'span',
          null,
          'Logger ',
          h('a', { href: `#/device/${encodeURIComponent(s.deviceId)}` }, s.deviceId),
        ),
      ),
    ),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null,
  );
}

/**
 * PDF and CSV report links. A plain link would drop an error page into the download; the click
 * fetches the file instead and saves it, or says why it cannot.
 */
function reportLinks(id: string): HTMLElement[] {
  return (['pdf', 'csv'] as const).map((format) => {
    const href = `/api/v1/shipments/${encodeURIComponent(id)}/report?format=${format}`;
    const a = h(
      'a',
      {
        class: 'btn',
        href,
        download: `${id}.${format}`,
        testid: `report-${format}`,
        title: `Download the signed ${format.toUpperCase()} report`,
      },
      icon('download'),
      `Report ${format.toUpperCase()}`,
    );
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      void downloadReport(href, `${id}.${format}`, a);
    });
    return a;
  });
}

async function downloadReport(href: string, name: string, a: HTMLAnchorElement): Promise<void> {
  a.classList.add('busy');
  try {
    const res = await fetch(href, { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) {
      toast(
        res.status === 403
          ? 'Your role cannot download this report.'
          : `The report could not be generated (HTTP ${res.status}).`,
        'bad',
      );
      return;
    }
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const link = h('a', { href: url, download: name, class: 'hidden' });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch {
    toast('The server cannot be reached. Try again.', 'bad');
  } finally {
    a.classList.remove('busy');
  }
}
