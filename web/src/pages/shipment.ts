/**
 * One shipment: state and summary (MKT, time out of range, excursions, alarms), the map with the
 * planned and the actual route, the temperature chart over the trip with the profile's band and
 * every excursion shaded, the alarms, the chain of custody, report downloads, and (with
 * `shipments.decide`) quality's release or quarantine decision signed with password and TOTP
 * (21 CFR 11.50 / 11.200: the signer re-enters both factors; name, time and meaning are recorded).
 */
import { ApiError, api, describeError, fmtWait } from '../api.ts';
import type { Page } from '../context.ts';
import { cx, h, replace } from '../dom.ts';
import { absTime, duration, humanize, num } from '../format.ts';
import { alarmActive, normAlarm, normSeries } from '../normalize.ts';
import {
  type CustodyView,
  DECIDABLE,
  type ExcursionView,
  excursionsFrom,
  normShipment,
  type ShipmentView,
  tripWindow,
} from '../shipment-normalize.ts';
import type { Alarm, Series } from '../types.ts';
import { badge, card, emptyState, errorBox, field, kv, loading, type Tone, toast } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { createRouteMap, type RouteMap, type TrackPoint } from '../ui/route-map.ts';
import {
  actorName,
  mktText,
  placeName,
  profileLabel,
  routeText,
  shipmentStateBadge,
  timeOutText,
} from '../ui/shipment-bits.ts';
import { createShipmentChart, type ShipmentChart } from '../ui/shipment-chart.ts';
import './shipments.css';

const MAX_POINTS = 1500;
const POLL_MS = 30_000;

const SEVERITY: Record<string, Tone> = { critical: 'bad', warning: 'warn', info: 'info' };

export const shipmentPage: Page = (root, ctx, params) => {
  const id = params.id ?? '';
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let chart: ShipmentChart | null = null;
  let map: RouteMap | null = null;
  let shipment: ShipmentView | null = null;
  /** Keys of the last drawn chart/map inputs, so a poll only redraws what changed. */
  let drawnKey = '';

  const head = h('div');
  const tiles = h('div', { class: 'tiles', testid: 'shipment-summary' });
  const mapHost = h('div');
  const facts = h('div');
  const chartHost = h('div');
  const excursionHost = h('div');
  const alarmHost = h('div');
  const custodyHost = h('div');
  const decisionHost = h('div');

  replace(
    root,
    h(
      'nav',
      { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/shipments' }, 'Shipments'),
      h('span', { 'aria-hidden': 'true' }, ' / '),
      h('span', null, id),
    ),
    head,
    loading('Loading shipment…'),
  );

  function layout(): void {
    replace(
      root,
      h(
        'nav',
        { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
        h('a', { href: '#/shipments' }, 'Shipments'),
        h('span', { 'aria-hidden': 'true' }, ' / '),
        h('span', null, id),
      ),
      head,
      tiles,
      h(
        'div',
        { class: 'shipment-grid' },
        card('Route', mapHost, { class: 'card-map', testid: 'shipment-route' }),
        card('Shipment', facts, { testid: 'shipment-facts' }),
      ),
      card('Temperature during the trip', [chartHost, excursionHost], {
        class: 'card-charts',
        testid: 'shipment-temperature',
      }),
      h(
        'div',
        { class: 'shipment-grid' },
        card('Alarms', alarmHost, { testid: 'shipment-alarms' }),
        card('Chain of custody', custodyHost, { testid: 'shipment-custody' }),
      ),
      decisionHost,
    );
  }

  // ---- header
  function renderHead(s: ShipmentView): void {
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
    if (s.dispatch) actions.push(...reportLinks(s));
    replace(
      head,
      h(
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
            h('span', null, profileLabel(s)),
            routeText(s),
            s.deviceId
              ? h(
                  'span',
                  null,
                  'Logger ',
                  h('a', { href: `#/device/${encodeURIComponent(s.deviceId)}` }, s.deviceId),
                )
              : null,
          ),
        ),
        actions.length ? h('div', { class: 'page-actions' }, actions) : null,
      ),
    );
  }

  /**
   * PDF and CSV report links. A plain link would drop an error page into the download; the click
   * fetches the file instead and saves it, or says why it cannot.
   */
  function reportLinks(s: ShipmentView): HTMLElement[] {
    return (['pdf', 'csv'] as const).map((format) => {
      const href =
        s.reports?.[format] ?? `/api/v1/shipments/${encodeURIComponent(s.id)}/report?format=${format}`;
      const a = h(
        'a',
        {
          class: 'btn',
          href,
          download: `${s.id}.${format}`,
          testid: `report-${format}`,
          title: `Download the signed ${format.toUpperCase()} report`,
        },
        icon('download'),
        `Report ${format.toUpperCase()}`,
      );
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        void downloadReport(href, `${s.id}.${format}`, a);
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
          res.status === 404
            ? 'The report is not available on this server yet.'
            : res.status === 403
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

  // ---- summary tiles
  function tile(label: string, value: HTMLElement | string, sub?: string | HTMLElement | null, tone?: Tone) {
    return h(
      'div',
      { class: cx('tile', tone && `tile-${tone}`) },
      h('div', { class: 'tile-label' }, label),
      h('div', { class: 'tile-value tile-big' }, value),
      sub ? h('div', { class: 'tile-sub' }, sub) : null,
    );
  }

  function renderTiles(s: ShipmentView, excursions: ExcursionView[], alarms: Alarm[]): void {
    const out = s.timeOutMs;
    // Info alarms (arrived at destination) are notices: they do not make the tile red.
    const open = alarms.filter((a) => alarmActive(a) && a.severity !== 'info').length;
    const notices = alarms.filter((a) => alarmActive(a) && a.severity === 'info').length;
    const mktBad =
      s.mktC !== null && s.range !== null && (s.mktC > s.range.upperC || s.mktC < s.range.lowerC);
    replace(
      tiles,
      tile(
        'MKT',
        mktText(s),
        s.range
          ? `Mean kinetic temp.; range ${s.range.lowerC} to ${s.range.upperC} °C`
          : 'Mean kinetic temperature',
        s.mktC === null ? undefined : mktBad ? 'bad' : 'ok',
      ),
      tile(
        'Time out of range',
        timeOutText(out),
        s.timeAboveMs || s.timeBelowMs
          ? `${s.timeAboveMs ? `above ${duration(s.timeAboveMs / 1000)}` : ''}${s.timeAboveMs && s.timeBelowMs ? ', ' : ''}${s.timeBelowMs ? `below ${duration(s.timeBelowMs / 1000)}` : ''}`
          : null,
        out === null ? undefined : out > 0 ? 'bad' : 'ok',
      ),
      tile(
        'Excursions',
        String(excursions.length),
        excursions.length
          ? `peak ${num(
              excursions.reduce(
                (m, e) => (e.kind === 'above' ? Math.max(m, e.peakC ?? m) : m),
                Number.NEGATIVE_INFINITY,
              ),
              1,
            ).replace('-Infinity', '–')} °C`
          : 'none',
        excursions.length ? 'bad' : 'ok',
      ),
      tile(
        'Alarms',
        String(alarms.length),
        [
          open ? `${open} open` : alarms.length ? 'none open' : 'none',
          notices ? `${notices} notice${notices === 1 ? '' : 's'}` : '',
        ]
          .filter(Boolean)
          .join(', '),
        open ? 'bad' : alarms.some((a) => a.severity !== 'info') ? 'warn' : 'ok',
      ),
      tile(
        'Min / max',
        s.minC !== null && s.maxC !== null ? `${s.minC.toFixed(1)} / ${s.maxC.toFixed(1)} °C` : '–',
        s.readingCount !== null ? `${s.readingCount} readings` : null,
      ),
      tile(
        'Dispatched',
        h('span', { class: 'tile-time' }, s.dispatch ? absTime(s.dispatch.at) : 'Not yet'),
        s.dispatch?.batchId ? `Batch id ${s.dispatch.batchId}` : null,
      ),
      tile(
        'Delivered',
        h(
          'span',
          { class: 'tile-time' },
          s.delivery ? absTime(s.delivery.at) : s.closedAt ? 'Closed' : 'Not yet',
        ),
        s.delivery ? `by ${actorName(s.delivery.by)}` : s.eta ? `ETA ${absTime(s.eta)}` : null,
      ),
    );
  }

  // ---- facts
  function renderFacts(s: ShipmentView): void {
    const batches = s.batches.length
      ? h(
          'table',
          { class: 'table table-compact' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['Lot', 'Product', 'Quantity', 'VVM'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            null,
            s.batches.map((b) =>
              h(
                'tr',
                null,
                h('td', null, h('code', null, b.lot)),
                h('td', null, b.product),
                h('td', { class: 'num' }, b.quantity === null ? '–' : b.quantity.toLocaleString('en-US')),
                h('td', null, b.vvm ?? '–'),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No batches listed.');
    const d = s.delivery;
    replace(
      facts,
      h(
        'dl',
        { class: 'kv' },
        kv('Origin', placeName(s.origin)),
        kv('Destination', placeName(s.destination)),
        kv('ETA', s.eta ? absTime(s.eta) : '–'),
        kv(
          'Created',
          s.createdAt ? `${absTime(s.createdAt)}${s.createdBy ? ` by ${actorName(s.createdBy)}` : ''}` : '–',
        ),
        kv('Logger batch id', s.dispatch?.batchId ? h('code', null, s.dispatch.batchId) : '–'),
        kv(
          'Proof of delivery',
          d
            ? `${absTime(d.at)} by ${actorName(d.by)}${d.lat !== null && d.lon !== null ? ` at ${d.lat.toFixed(4)}, ${d.lon.toFixed(4)}` : ''}`
            : 'Not delivered',
        ),
      ),
      h('h3', { class: 'subhead' }, 'Batches'),
      batches,
    );
  }

  // ---- excursions under the chart
  function renderExcursions(excursions: ExcursionView[], derived: boolean): void {
    if (!excursions.length) {
      replace(
        excursionHost,
        h(
          'p',
          { class: 'chart-note muted small' },
          icon('check'),
          ' No excursion: the temperature stayed in range.',
        ),
      );
      return;
    }
    replace(
      excursionHost,
      h('h3', { class: 'subhead' }, `Excursions (${excursions.length})`),
      h(
        'ul',
        { class: 'excursion-list' },
        excursions.map((e) =>
          h(
            'li',
            { class: cx('excursion', `excursion-${e.kind}`), testid: 'shipment-excursion' },
            h('span', { class: cx('swatch', e.kind === 'above' ? 'swatch-heat' : 'swatch-cold') }),
            h('strong', null, e.kind === 'above' ? 'Above range' : 'Below range'),
            h('span', null, `${absTime(e.start)} → ${e.ongoing ? 'ongoing' : absTime(e.end)}`),
            h(
              'span',
              { class: 'muted' },
              `${duration(Math.max(0, (e.durationMs ?? e.end - e.start) / 1000))}${e.peakC !== null ? `, ${e.kind === 'above' ? 'peak' : 'lowest'} ${e.peakC.toFixed(1)} °C` : ''}`,
            ),
          ),
        ),
      ),
      derived
        ? h('p', { class: 'muted small' }, 'Derived from the chart data (the server sent no excursion list).')
        : null,
    );
  }

  // ---- alarms
  function renderAlarms(alarms: Alarm[]): void {
    if (!alarms.length) {
      replace(alarmHost, emptyState('No alarms for this shipment.'));
      return;
    }
    const sorted = [...alarms].sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
    replace(
      alarmHost,
      h(
        'ul',
        { class: 'shipment-alarm-list' },
        sorted.map((a) =>
          h(
            'li',
            {
              class: cx(
                'shipment-alarm',
                alarmActive(a) && !a.ack && (a.severity === 'info' ? 'is-notice' : 'is-open'),
              ),
              testid: 'shipment-alarm',
            },
            h(
              'div',
              { class: 'row gap wrap' },
              alarmActive(a)
                ? a.ack
                  ? badge('warn', 'Acknowledged', 'check')
                  : a.severity === 'info'
                    ? badge('info', 'Active', 'clock')
                    : badge('bad', 'Open', 'alert')
                : badge('off', 'Resolved', 'check'),
              h('strong', null, humanize(a.rule)),
              a.severity ? badge(SEVERITY[a.severity] ?? 'info', humanize(a.severity)) : null,
            ),
            a.message ? h('div', null, a.message) : null,
            h(
              'div',
              { class: 'muted small' },
              `Started ${absTime(a.startedAt)}`,
              a.raisedAt ? ` · raised ${absTime(a.raisedAt)}` : '',
              a.endedAt ? ` · ended ${absTime(a.endedAt)}` : '',
            ),
            a.ack
              ? h(
                  'div',
                  { class: 'small' },
                  `Acknowledged by ${actorName(a.ack.by)} at ${absTime(a.ack.at)}`,
                  a.ack.reason ? [': ', h('span', { class: 'ack-reason' }, a.ack.reason)] : null,
                )
              : null,
          ),
        ),
      ),
      h('a', { class: 'small', href: '#/alarms' }, 'All alarms'),
    );
  }

  // ---- custody
  const ACTIONS: Record<string, [string, string]> = {
    'shipment.create': ['Created', 'plus'],
    'shipment.dispatch': ['Dispatched', 'truck'],
    'shipment.arrive': ['Arrived at destination', 'pin'],
    'shipment.deliver': ['Delivered', 'check'],
    'shipment.deliver_refused': ['Wrong delivery token', 'alert'],
    'shipment.close': ['Closed', 'x'],
    'shipment.release': ['Released', 'shield'],
    'shipment.quarantine': ['Quarantined', 'alert'],
  };

  /** Label, icon and the class suffix of a custody event. */
  function describeEvent(e: CustodyView): [string, string, string] {
    if (e.action === 'shipment.decide' || e.action === 'shipment.decision') {
      const q = e.detail.state === 'quarantined';
      return [q ? 'Quarantined' : 'Released', q ? 'alert' : 'shield', q ? 'quarantine' : 'release'];
    }
    const [label, ic] = ACTIONS[e.action] ?? [humanize(e.action.replace(/^shipment\./, '')), 'clock'];
    return [label, ic, e.action.replace(/^shipment\./, '').replace(/[^a-z]+/g, '-')];
  }

  function custodyOf(s: ShipmentView): CustodyView[] {
    if (s.custody?.length) return [...s.custody].sort((a, b) => a.at - b.at);
    const out: CustodyView[] = [];
    if (s.createdAt) out.push({ at: s.createdAt, action: 'shipment.create', actor: s.createdBy, detail: {} });
    if (s.dispatch)
      out.push({
        at: s.dispatch.at,
        action: 'shipment.dispatch',
        actor: `device:${s.deviceId}`,
        detail: s.dispatch.batchId ? { batchId: s.dispatch.batchId } : {},
      });
    if (s.delivery)
      out.push({
        at: s.delivery.at,
        action: 'shipment.deliver',
        actor: s.delivery.by,
        detail: s.delivery.lat !== null ? { lat: s.delivery.lat, lon: s.delivery.lon } : {},
      });
    else if (s.closedAt) out.push({ at: s.closedAt, action: 'shipment.close', actor: null, detail: {} });
    if (s.decision?.at)
      out.push({
        at: s.decision.at,
        action: 'shipment.decide',
        actor: s.decision.by,
        detail: { state: s.decision.state, reason: s.decision.reason, meaning: s.decision.meaning },
      });
    return out.sort((a, b) => a.at - b.at);
  }

  /** The event's details as text: times formatted, flags as words, never a token. */
  function detailText(e: CustodyView): string {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(e.detail)) {
      if (v === null || v === undefined || /token/i.test(k)) continue;
      const key = humanize(k).toLowerCase();
      if (/(^|_)at$|At$/.test(k) && (typeof v === 'number' || typeof v === 'string')) {
        const ms = typeof v === 'number' ? v : Date.parse(v);
        // The event's own time is already shown.
        if (!Number.isFinite(ms) || (k === 'at' && ms === e.at)) continue;
        parts.push(`${key} ${absTime(ms)}`);
      } else if (typeof v === 'boolean') {
        if (v) parts.push(key);
      } else if (Array.isArray(v)) {
        const items = v.filter((x) => typeof x === 'string' || typeof x === 'number');
        if (items.length) parts.push(`${key} ${items.join(', ')}`);
      } else if (typeof v === 'number' && /(_ms|Ms)$/.test(k)) {
        parts.push(`${humanize(k.replace(/_?ms$/i, '')).toLowerCase()} ${duration(v / 1000)}`);
      } else if (typeof v === 'number') {
        parts.push(`${key} ${/lat|lon/.test(k) ? v.toFixed(4) : String(v)}`);
      } else if (typeof v === 'string') {
        parts.push(`${key} ${v}`);
      }
    }
    return parts.join(' · ');
  }

  function renderCustody(s: ShipmentView): void {
    const events = custodyOf(s);
    if (!events.length) {
      replace(custodyHost, emptyState('No custody events yet.'));
      return;
    }
    replace(
      custodyHost,
      h(
        'ol',
        { class: 'timeline', testid: 'custody-timeline' },
        events.map((e) => {
          const [label, ic, kind] = describeEvent(e);
          const detail = detailText(e);
          return h(
            'li',
            { class: cx('timeline-item', `timeline-${kind}`) },
            h('span', { class: 'timeline-dot', 'aria-hidden': 'true' }, icon(ic)),
            h(
              'div',
              { class: 'timeline-body' },
              h(
                'div',
                null,
                h('strong', null, label),
                e.actor ? h('span', { class: 'muted' }, ` by ${actorName(e.actor)}`) : null,
              ),
              h('div', { class: 'muted small' }, absTime(e.at)),
              detail ? h('div', { class: 'small' }, detail) : null,
            ),
          );
        }),
      ),
    );
  }

  // ---- decision
  function renderDecision(s: ShipmentView, alarms: Alarm[]): void {
    const recorded = s.decision
      ? h(
          'div',
          {
            class: cx('alert', s.decision.state === 'released' ? 'alert-info' : 'alert-bad'),
            testid: 'decision-recorded',
          },
          icon(s.decision.state === 'released' ? 'shield' : 'alert'),
          h(
            'div',
            null,
            h(
              'strong',
              null,
              `${s.decision.state === 'released' ? 'Released' : 'Quarantined'} by ${actorName(s.decision.by)}${s.decision.at ? ` at ${absTime(s.decision.at)}` : ''}`,
            ),
            h('div', null, `Meaning: ${s.decision.meaning}`),
            h('div', null, `Reason: ${s.decision.reason}`),
          ),
        )
      : null;
    if (!ctx.can('shipments.decide')) {
      replace(decisionHost, recorded ? card('Quality decision', recorded) : null);
      return;
    }
    const decidable = DECIDABLE.includes(s.state);
    if (!decidable) {
      replace(
        decisionHost,
        card(
          'Quality decision',
          [
            recorded,
            h(
              'p',
              { class: 'muted' },
              s.state === 'released'
                ? 'Released: the decision is final.'
                : 'The decision is taken when the trip is over (delivered or closed).',
            ),
          ],
          { testid: 'decision-card' },
        ),
      );
      return;
    }
    replace(
      decisionHost,
      card(
        'Quality decision',
        [
          recorded,
          s.state === 'quarantined'
            ? h(
                'p',
                { class: 'decision-intro' },
                'The shipment is on hold. Lift the quarantine with a signed release when the product is judged fit for use.',
              )
            : h(
                'p',
                { class: 'decision-intro' },
                'The trip is over. Review the temperature record and the alarms above, then sign your decision.',
              ),
          decisionForm(s, alarms),
        ],
        { testid: 'decision-card' },
      ),
    );
  }

  function decisionForm(s: ShipmentView, alarms: Alarm[]): HTMLElement {
    // The meanings the server accepts (src/shipments/shipment.ts DECISION_MEANINGS).
    const MEANINGS: [string, string][] = [
      ['approved', 'Approved: the product is fit for use'],
      ['rejected', 'Rejected: not fit for use as it stands'],
      ['impact assessed', 'Impact assessed: the effect of the excursions was judged'],
      ['reviewed', 'Reviewed: the record was reviewed'],
    ];
    const DEFAULT_MEANING: Record<string, string> = { released: 'approved', quarantined: 'rejected' };
    let choice: 'released' | 'quarantined' =
      s.state === 'quarantined' ? 'released' : alarms.length ? 'quarantined' : 'released';
    const radio = (value: 'released' | 'quarantined', label: string, hint: string) => {
      const input = h('input', {
        type: 'radio',
        name: `decision-${s.id}`,
        value,
        testid: `decision-${value}`,
      });
      input.checked = choice === value;
      input.addEventListener('change', () => {
        if (!input.checked) return;
        if (meaning.value === DEFAULT_MEANING[choice]) meaning.value = DEFAULT_MEANING[value] ?? 'reviewed';
        choice = value;
        submit.textContent = value === 'released' ? 'Sign and release' : 'Sign and quarantine';
        submit.className = cx('btn', value === 'released' ? 'btn-primary' : 'btn-danger');
      });
      return h(
        'label',
        { class: cx('choice', `choice-${value}`) },
        input,
        h('span', null, h('strong', null, label), h('span', { class: 'muted small' }, hint)),
      );
    };
    const reason = h('textarea', {
      rows: 3,
      maxlength: 500,
      required: true,
      testid: 'decision-reason',
      placeholder: 'What was reviewed and why this decision (recorded in the audit log)',
    });
    const meaning = h(
      'select',
      { required: true, testid: 'decision-meaning' },
      MEANINGS.map(([v, label]) => h('option', { value: v }, label)),
    );
    meaning.value = DEFAULT_MEANING[choice] ?? 'reviewed';
    const password = h('input', {
      type: 'password',
      autocomplete: 'current-password',
      required: true,
      testid: 'decision-password',
    });
    const totp = h('input', {
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      pattern: '[0-9]{6}',
      maxlength: 6,
      required: true,
      class: 'code-input',
      testid: 'decision-totp',
    });
    const msg = h('div', { role: 'alert', testid: 'decision-error' });
    const submit = h(
      'button',
      {
        type: 'submit',
        class: cx('btn', choice === 'released' ? 'btn-primary' : 'btn-danger'),
        testid: 'decision-submit',
      },
      choice === 'released' ? 'Sign and release' : 'Sign and quarantine',
    );
    const form = h(
      'form',
      { class: 'decision-form', testid: 'decision-form', novalidate: true },
      h(
        'fieldset',
        { class: 'choices' },
        h('legend', null, 'Decision'),
        radio('released', 'Release', 'The product may be used.'),
        // A quarantined shipment can only be released (quarantining it again changes nothing).
        s.state === 'quarantined'
          ? null
          : radio('quarantined', 'Quarantine', 'Hold the product; it is not to be used.'),
      ),
      field('Reason', reason, 'At least 3 characters.'),
      field('Meaning of the signature', meaning, 'Recorded with your name and the time (21 CFR 11.50).'),
      h(
        'div',
        { class: 'esign' },
        h('p', { class: 'esign-title' }, icon('shield'), `Electronic signature of ${ctx.me.name}`),
        h('div', { class: 'esign-fields' }, field('Password', password), field('Authenticator code', totp)),
      ),
      msg,
      h('div', { class: 'form-actions' }, submit),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      replace(msg);
      const problems: string[] = [];
      if (reason.value.trim().length < 3) problems.push('Give a reason (at least 3 characters).');
      if (!meaning.value) problems.push('State the meaning of the signature.');
      if (!password.value) problems.push('Enter your password.');
      if (!/^\d{6}$/.test(totp.value.trim()))
        problems.push('Enter the 6-digit code from your authenticator.');
      if (problems.length) {
        replace(msg, errorBox(problems.join(' ')));
        return;
      }
      submit.disabled = true;
      try {
        await api(`/shipments/${encodeURIComponent(s.id)}/decision`, {
          method: 'POST',
          quiet401: true,
          body: {
            state: choice,
            reason: reason.value.trim(),
            meaning: meaning.value,
            password: password.value,
            totp: totp.value.trim(),
          },
        });
        password.value = '';
        totp.value = '';
        toast(choice === 'released' ? 'Shipment released.' : 'Shipment quarantined.', 'ok');
        await load();
      } catch (err) {
        password.value = '';
        totp.value = '';
        replace(msg, errorBox(signatureError(err)));
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  // ---- data
  async function seriesFor(s: ShipmentView): Promise<{ series: Series; from: number; to: number } | null> {
    const w = tripWindow(s);
    if (!w || !s.deviceId) return null;
    const raw = await api<unknown>(
      `/devices/${encodeURIComponent(s.deviceId)}/readings?from=${new Date(w.from).toISOString()}&to=${new Date(w.to + 1).toISOString()}&maxPoints=${MAX_POINTS}`,
    );
    return { series: normSeries(raw), from: w.from, to: w.to };
  }

  async function alarmsFor(s: ShipmentView): Promise<Alarm[]> {
    if (s.alarms) return s.alarms;
    if (!ctx.can('alarms.read')) return [];
    const r = await api<{ alarms: unknown[] }>('/alarms');
    const w = tripWindow(s);
    return (r.alarms ?? [])
      .map(normAlarm)
      .filter((a): a is Alarm => a !== null)
      .filter((a) => {
        if (a.subject === s.id) return true;
        if (a.subject !== s.deviceId || !w) return false;
        const t = a.startedAt ?? a.raisedAt ?? 0;
        return t >= w.from && t <= w.to;
      });
  }

  async function load(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    let s: ShipmentView | null;
    try {
      s = normShipment(await api<unknown>(`/shipments/${encodeURIComponent(id)}`));
      if (!s) throw new ApiError(404, 'VIGIL_ERR_NOT_FOUND', 'not found', null);
    } catch (err) {
      if (stopped) return;
      if (!shipment) {
        replace(
          root,
          h('nav', { class: 'breadcrumb' }, h('a', { href: '#/shipments' }, 'Shipments')),
          errorBox(describeError(err)),
        );
      } else toast(describeError(err), 'bad');
      return;
    }
    const first = !shipment;
    shipment = s;
    if (first) layout();
    const [seriesR, alarmsR] = await Promise.allSettled([seriesFor(s), alarmsFor(s)]);
    if (stopped) return;
    const data = seriesR.status === 'fulfilled' ? seriesR.value : null;
    const alarms = alarmsR.status === 'fulfilled' ? alarmsR.value : [];
    const range = s.range;
    const tempPoints = (data?.series.points ?? [])
      .map((p) => ({ ts: p.ts, tempC: p.values.temp_c }))
      .filter((p): p is { ts: number; tempC: number } => typeof p.tempC === 'number');
    const derived = s.excursions === null;
    const excursions = s.excursions ?? (range ? excursionsFrom(tempPoints, range) : []);

    renderHead(s);
    renderTiles(s, excursions, alarms);
    renderFacts(s);
    renderExcursions(excursions, derived);
    if (alarmsR.status === 'rejected') replace(alarmHost, errorBox(describeError(alarmsR.reason)));
    else renderAlarms(alarms);
    renderCustody(s);
    renderDecision(s, alarms);

    const key = JSON.stringify([
      s.state,
      s.dispatch?.at,
      s.delivery?.at,
      data?.series.points.length,
      data?.series.points[data.series.points.length - 1]?.ts,
      excursions.map((e) => [e.start, e.end]),
    ]);
    if (key === drawnKey) return;
    drawnKey = key;
    chart?.destroy();
    chart = null;
    map?.destroy();
    map = null;

    if (seriesR.status === 'rejected') {
      replace(chartHost, errorBox(describeError(seriesR.reason)));
    } else if (!data) {
      replace(
        chartHost,
        emptyState('Not dispatched yet.', 'The chart starts at the logger’s dispatch event.'),
      );
    } else if (!tempPoints.length) {
      replace(chartHost, emptyState('No temperature readings in the trip window yet.'));
    } else {
      const marks = [{ at: data.from, label: 'Dispatch' }];
      if (s.delivery) marks.push({ at: s.delivery.at, label: 'Delivery' });
      chart = createShipmentChart({
        series: data.series,
        from: data.from,
        to: data.to,
        range,
        excursions,
        marks,
      });
      replace(
        chartHost,
        chart.el,
        h(
          'p',
          { class: 'chart-note muted small' },
          `${data.series.points.length} points from ${absTime(data.from)} to ${absTime(data.to)}${data.series.downsampled ? ' (downsampled: mean per bucket)' : ''}.`,
        ),
      );
    }

    const track: TrackPoint[] = [];
    for (const p of data?.series.points ?? []) {
      const lat = p.values.lat;
      const lon = p.values.lon;
      const t = p.values.temp_c;
      if (typeof lat !== 'number' || typeof lon !== 'number') continue;
      const hi = p.max?.temp_c ?? t;
      const lo = p.min?.temp_c ?? t;
      const out =
        range !== null &&
        ((typeof hi === 'number' && hi > range.upperC) || (typeof lo === 'number' && lo < range.lowerC));
      track.push({ ts: p.ts, lat, lon, out });
    }
    const last = track[track.length - 1];
    const d = s.delivery;
    const current =
      d && d.lat !== null && d.lon !== null
        ? { lat: d.lat, lon: d.lon, label: `Delivered ${absTime(d.at)}` }
        : last
          ? { lat: last.lat, lon: last.lon, label: `Last fix ${absTime(last.ts)}` }
          : null;
    if (!s.plannedRoute.length && !track.length && s.origin?.lat == null && s.destination?.lat == null) {
      replace(mapHost, emptyState('No route to show yet.', 'The planned route and GPS fixes appear here.'));
    } else {
      map = createRouteMap({
        planned: s.plannedRoute,
        actual: track,
        origin: s.origin,
        destination: s.destination,
        current,
      });
      replace(mapHost, map.el);
    }
    if (!stopped && (s.state === 'in_transit' || s.state === 'planned'))
      timer = setTimeout(() => void load(), POLL_MS);
  }

  void load();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    chart?.destroy();
    map?.destroy();
  };
};

/** The words for a refused signature. */
function signatureError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401 || err.code === 'VIGIL_ERR_TOTP' || err.code === 'VIGIL_ERR_AUTH')
      return 'The signature was refused: the password or the authenticator code is wrong. Enter both again.';
    if (err.status === 429)
      return `Too many failed signatures. Try again in ${fmtWait(err.retryAfterS ?? 60)}.`;
    if (err.code === 'VIGIL_ERR_SHIPMENT_STATE')
      return 'The shipment is no longer in a state that allows this decision. Reload the page.';
  }
  return describeError(err);
}
