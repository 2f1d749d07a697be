/**
 * Shipments: every trip with its state, logger, profile, origin and destination, dispatch time,
 * mean kinetic temperature and alarm count. The figures (MKT, excursions, alarms) come from each
 * dispatched shipment's detail, a few at a time; a trip in transit is asked again on every poll. Filter by state and by text (id, device, lot).
 */

import { highestLevel } from '../alarm-level.ts';
import { api, describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { cx, h, replace } from '../dom.ts';
import { absTime } from '../format.ts';
import { profileLabel, rangeOf, timeOutMs } from '../shipment-view.ts';
import { alarmActive, type ShipmentDetailView, type ShipmentView } from '../types.ts';
import { badge, emptyState, errorBox, loading, pageHeader, segmented, toast } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { levelBadge } from '../ui/level-badge.ts';
import { mktText, routeText, shipmentStateBadge, timeOutText } from '../ui/shipment-bits.ts';
import { createShipmentDialog } from './shipment-create.ts';
import './shipments.css';

type Filter = 'all' | 'active' | 'decision' | 'done';
const FILTERS: { value: Filter; label: string; states: string[] | null }[] = [
  { value: 'all', label: 'All', states: null },
  { value: 'active', label: 'Planned and in transit', states: ['planned', 'in_transit'] },
  { value: 'decision', label: 'Awaiting decision', states: ['delivered', 'closed', 'quarantined'] },
  { value: 'done', label: 'Released', states: ['released'] },
];

const POLL_MS = 30_000;
const DETAIL_CONCURRENCY = 4;
const DETAIL_MAX = 60;

const state: { filter: Filter; text: string } = { filter: 'all', text: '' };

export const shipmentsPage: Page = (root, ctx) => {
  let rows: ShipmentView[] = [];
  let error: unknown = null;
  let loaded = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** Details fetched (the figures of the trip), by id. */
  const details = new Map<string, ShipmentDetailView>();

  const host = h('div', { class: 'table-host' });
  const counts = h('span', { class: 'muted small' });
  const search = h('input', {
    type: 'search',
    class: 'search',
    placeholder: 'Search id, device, lot',
    'aria-label': 'Search shipments',
    value: state.text,
    testid: 'shipment-search',
  });
  search.addEventListener('input', () => {
    state.text = search.value;
    render();
  });

  replace(
    root,
    pageHeader(
      'Shipments',
      'Vaccine trips from dispatch to delivery: temperature record, alarms and chain of custody.',
      ctx.can('shipments.manage')
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn btn-primary',
              testid: 'new-shipment',
              onclick: async () => {
                const s = await createShipmentDialog(ctx);
                if (!s) return;
                toast(`Shipment ${s.id} created for ${s.deviceId}.`, 'ok');
                ctx.navigate(`#/shipment/${encodeURIComponent(s.id)}`);
              },
            },
            icon('plus'),
            'New shipment',
          )
        : null,
      ctx.can('shipments.deliver')
        ? h(
            'a',
            { class: 'btn', href: '#/delivery', testid: 'goto-delivery' },
            icon('check'),
            'Confirm a delivery',
          )
        : null,
    ),
    h(
      'section',
      { class: 'card' },
      h(
        'header',
        { class: 'card-header' },
        h(
          'div',
          { class: 'toolbar' },
          segmented<Filter>(
            'State',
            FILTERS.map((f) => ({ value: f.value, label: f.label, testid: `shipments-${f.value}` })),
            state.filter,
            (v) => {
              state.filter = v;
              render();
            },
          ),
          h('div', { class: 'toolbar-right' }, counts, search),
        ),
      ),
      host,
    ),
  );

  async function load(): Promise<void> {
    try {
      rows = (await api<{ shipments: ShipmentView[] }>('/shipments')).shipments;
      error = null;
    } catch (err) {
      error = err;
    }
    if (stopped) return;
    loaded = true;
    render();
    void fillDetails();
    timer = setTimeout(() => void load(), POLL_MS);
  }

  /** The figures of dispatched trips: new ones, those in transit, and those whose state moved on. */
  async function fillDetails(): Promise<void> {
    const want = rows
      .filter((s) => {
        if (!s.dispatch) return false;
        const d = details.get(s.id);
        return !d || s.state === 'in_transit' || d.shipment.state !== s.state;
      })
      .slice(0, DETAIL_MAX)
      .map((s) => s.id);
    const queue = [...want];
    let changed = false;
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined && !stopped; id = queue.shift()) {
        try {
          details.set(id, await api<ShipmentDetailView>(`/shipments/${encodeURIComponent(id)}`));
          changed = true;
        } catch {
          // The row keeps its dashes; the detail page will show the error.
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DETAIL_CONCURRENCY, queue.length) }, worker));
    if (changed && !stopped) render();
  }

  function matches(s: ShipmentView): boolean {
    const f = FILTERS.find((x) => x.value === state.filter);
    if (f?.states && !f.states.includes(s.state)) return false;
    const q = state.text.trim().toLowerCase();
    if (!q) return true;
    return (
      s.id.toLowerCase().includes(q) ||
      s.deviceId.toLowerCase().includes(q) ||
      (s.dispatch?.batchId ?? '').toLowerCase().includes(q) ||
      s.batches.some((b) => b.lot.toLowerCase().includes(q) || b.product.toLowerCase().includes(q)) ||
      s.origin.name.toLowerCase().includes(q) ||
      s.destination.name.toLowerCase().includes(q)
    );
  }

  /** Alarms still active and not mere notices (info: arrived at destination). */
  function activeAlarms(s: ShipmentView): number | null {
    const list = details.get(s.id)?.alarms ?? null;
    return list ? list.filter((a) => alarmActive(a) && a.severity !== 'info').length : null;
  }

  function alarmCell(s: ShipmentView): HTMLElement {
    const alarms = details.get(s.id)?.alarms ?? null;
    if (alarms === null) return h('span', { class: 'muted' }, s.dispatch ? '–' : 'Not yet');
    const n = alarms.length;
    if (n === 0) return badge('ok', 'None', 'check');
    const active = activeAlarms(s);
    const text = `${n} alarm${n === 1 ? '' : 's'}`;
    const level = highestLevel(alarms.filter((a) => a.severity !== 'info'));
    return h(
      'span',
      { class: 'cell-stack' },
      level ? levelBadge(level, { testid: `shipment-level-${s.id}` }) : null,
      h(
        'span',
        { class: 'muted small', testid: `shipment-alarms-${s.id}` },
        active ? `${text}, ${active} active` : `${text}, none active`,
      ),
    );
  }

  function excursionCell(s: ShipmentView): HTMLElement {
    const list = details.get(s.id)?.summary.excursions ?? null;
    if (list === null) return h('span', { class: 'muted' }, s.dispatch ? '–' : 'Not yet');
    if (list.length === 0) return h('span', null, 'None');
    const ongoing = list.some((e) => e.ongoing);
    return h(
      'span',
      { testid: `shipment-excursions-${s.id}` },
      String(list.length),
      ongoing ? h('span', { class: 'muted small' }, ' (1 ongoing)') : null,
    );
  }

  function render(): void {
    if (!loaded) return void replace(host, loading('Loading shipments…'));
    if (error) return void replace(host, errorBox(describeError(error)));
    const list = rows.filter(matches);
    counts.textContent = `${list.length} of ${rows.length}`;
    if (!rows.length)
      return void replace(
        host,
        emptyState('No shipments yet.', 'A shipment appears here when a dispatcher creates it for a logger.'),
      );
    if (!list.length) return void replace(host, emptyState('No shipment matches the filter.'));
    replace(
      host,
      h(
        'table',
        { class: 'table table-responsive', testid: 'shipment-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            [
              'Shipment',
              'State',
              'Device',
              'Profile',
              'Route',
              'Dispatched',
              'MKT',
              'Excursions',
              'Time out of range',
              'Alarms',
            ].map((t) =>
              h(
                'th',
                {
                  scope: 'col',
                  class: ['MKT', 'Excursions', 'Time out of range'].includes(t) ? 'num' : undefined,
                },
                t,
              ),
            ),
          ),
        ),
        h(
          'tbody',
          null,
          list.map((s) => {
            const d = details.get(s.id) ?? null;
            const lots = s.batches.map((b) => b.lot).filter(Boolean);
            const href = `#/shipment/${encodeURIComponent(s.id)}`;
            return h(
              'tr',
              {
                testid: `shipment-row-${s.id}`,
                class: cx('shipment-row', (activeAlarms(s) ?? 0) > 0 && 'row-alarm'),
              },
              h(
                'td',
                { 'data-label': 'Shipment' },
                h('a', { href, class: 'device-link' }, s.id),
                lots.length || s.dispatch?.batchId
                  ? h(
                      'div',
                      { class: 'muted small' },
                      lots.length ? `Lots ${lots.slice(0, 3).join(', ')}${lots.length > 3 ? ' …' : ''}` : '',
                      lots.length && s.dispatch?.batchId ? ' · ' : '',
                      s.dispatch?.batchId ? `Batch id ${s.dispatch.batchId}` : '',
                    )
                  : null,
              ),
              h('td', { 'data-label': 'State' }, shipmentStateBadge(s.state)),
              h(
                'td',
                { 'data-label': 'Device', class: 'nowrap' },
                s.deviceId ? h('a', { href: `#/device/${encodeURIComponent(s.deviceId)}` }, s.deviceId) : '–',
              ),
              h('td', { 'data-label': 'Profile', class: 'nowrap' }, profileLabel(s, d)),
              h('td', { 'data-label': 'Route' }, routeText(s)),
              h(
                'td',
                { 'data-label': 'Dispatched', class: 'nowrap' },
                s.dispatch ? absTime(s.dispatch.at) : h('span', { class: 'muted' }, 'Not yet'),
              ),
              h('td', { 'data-label': 'MKT', class: 'num' }, mktText(d?.summary.mktC ?? null, rangeOf(s, d))),
              h('td', { 'data-label': 'Excursions', class: 'num' }, excursionCell(s)),
              h(
                'td',
                { 'data-label': 'Time out of range', class: 'num nowrap', testid: `shipment-tor-${s.id}` },
                d ? timeOutText(timeOutMs(d)) : '–',
              ),
              h('td', { 'data-label': 'Alarms' }, alarmCell(s)),
            );
          }),
        ),
      ),
    );
  }

  render();
  void load();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
};
