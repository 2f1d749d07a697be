/** The shipment page's figures: summary tiles, the shipment's facts and the excursion list. */
import { cx, h } from '../dom.ts';
import { absTime, duration, num } from '../format.ts';
import { rangeOf, timeOutMs } from '../shipment-view.ts';
import { alarmActive, type ShipmentDetailView } from '../types.ts';
import { kv, type Tone } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { actorName, mktText, placeName, timeOutText } from '../ui/shipment-bits.ts';

function tile(label: string, value: HTMLElement | string, sub?: string | HTMLElement | null, tone?: Tone) {
  return h(
    'div',
    { class: cx('tile', tone && `tile-${tone}`) },
    h('div', { class: 'tile-label' }, label),
    h('div', { class: 'tile-value tile-big' }, value),
    sub ? h('div', { class: 'tile-sub' }, sub) : null,
  );
}

/** MKT, time out of range, excursions, alarms, min/max, dispatch and delivery. */
export function summaryTiles(d: ShipmentDetailView, progressEta: number | null = null): HTMLElement[] {
  const s = d.shipment;
  const { summary, alarms } = d;
  const { excursions } = summary;
  const range = rangeOf(s, d);
  const out = timeOutMs(d);
  const { aboveMs, belowMs } = summary.timeOutOfRange;
  // Info alarms (arrived at destination) are notices: they do not make the tile red.
  const open = alarms.filter((a) => alarmActive(a) && a.severity !== 'info').length;
  const notices = alarms.filter((a) => alarmActive(a) && a.severity === 'info').length;
  const mktBad =
    summary.mktC !== null && range !== null && (summary.mktC > range.upperC || summary.mktC < range.lowerC);
  const peak = excursions
    .filter((e) => e.kind === 'above')
    .reduce((m, e) => Math.max(m, e.peakC), Number.NEGATIVE_INFINITY);
  return [
    tile(
      'MKT',
      mktText(summary.mktC, range),
      range ? `Mean kinetic temp.; range ${range.lowerC} to ${range.upperC} °C` : 'Mean kinetic temperature',
      summary.mktC === null ? undefined : mktBad ? 'bad' : 'ok',
    ),
    tile(
      'Time out of range',
      timeOutText(out),
      aboveMs || belowMs
        ? [
            aboveMs ? `above ${duration(aboveMs / 1000)}` : '',
            belowMs ? `below ${duration(belowMs / 1000)}` : '',
          ]
            .filter(Boolean)
            .join(', ')
        : null,
      out > 0 ? 'bad' : 'ok',
    ),
    tile(
      'Excursions',
      String(excursions.length),
      excursions.length ? (Number.isFinite(peak) ? `peak ${num(peak, 1)} °C` : 'below range') : 'none',
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
      summary.minC !== null && summary.maxC !== null
        ? `${summary.minC.toFixed(1)} / ${summary.maxC.toFixed(1)} °C`
        : '–',
      `${summary.readings} readings`,
    ),
    tile(
      'Dispatched',
      h('span', { class: 'tile-time' }, s.dispatch ? absTime(s.dispatch.at) : 'Not yet'),
      s.dispatch ? `Batch id ${s.dispatch.batchId}` : null,
    ),
    tile(
      'Delivered',
      h(
        'span',
        { class: 'tile-time' },
        s.delivery ? absTime(s.delivery.at) : s.closedAt ? 'Closed' : 'Not yet',
      ),
      s.delivery
        ? `by ${actorName(s.delivery.by)}`
        : progressEta !== null
          ? h(
              'span',
              {
                testid: 'eta-progress',
                title: 'From the distance left on the planned route at the average speed since dispatch',
              },
              `ETA ${absTime(progressEta)} (from progress)`,
            )
          : s.eta
            ? `ETA ${absTime(s.eta)}`
            : null,
    ),
  ];
}

/** Origin, destination, ETA, creation, batch id, proof of delivery and the batches. */
export function shipmentFacts(d: ShipmentDetailView): HTMLElement[] {
  const s = d.shipment;
  const batches = s.batches.length
    ? h(
        'div',
        { class: 'table-scroll' },
        h(
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
            { testid: 'shipment-batches' },
            s.batches.map((b) =>
              h(
                'tr',
                null,
                h('td', null, h('code', null, b.lot)),
                h('td', null, b.product),
                h('td', { class: 'num' }, b.quantity.toLocaleString('en-US')),
                h('td', null, b.vvm ?? '–'),
              ),
            ),
          ),
        ),
      )
    : h('p', { class: 'muted' }, 'No batches listed.');
  const dl = s.delivery;
  return [
    h(
      'dl',
      { class: 'kv' },
      kv('Origin', placeName(s.origin)),
      kv('Destination', placeName(s.destination)),
      kv('ETA', s.eta ? absTime(s.eta) : '–'),
      kv('Created', `${absTime(s.createdAt)} by ${actorName(s.createdBy)}`),
      kv('Logger batch id', s.dispatch ? h('code', null, s.dispatch.batchId) : '–'),
      kv(
        'Proof of delivery',
        dl
          ? `${absTime(dl.at)} by ${actorName(dl.by)}${dl.lat !== null && dl.lon !== null ? ` at ${dl.lat.toFixed(4)}, ${dl.lon.toFixed(4)}` : ''}`
          : 'Not delivered',
      ),
    ),
    h('h3', { class: 'subhead' }, 'Batches'),
    batches,
  ];
}

/** The excursions under the chart, or a line saying there was none. */
export function excursionList(d: ShipmentDetailView): HTMLElement[] {
  const { excursions } = d.summary;
  if (!excursions.length)
    return [
      h(
        'p',
        { class: 'chart-note muted small' },
        icon('check'),
        ' No excursion: the temperature stayed in range.',
      ),
    ];
  return [
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
            `${duration(Math.max(0, e.durationMs / 1000))}, ${e.kind === 'above' ? 'peak' : 'lowest'} ${e.peakC.toFixed(1)} °C`,
          ),
        ),
      ),
    ),
  ];
}
