/** The shipment page's record: its alarms and its chain of custody (audited events, in order). */

import { cx, h } from '../dom.ts';
import { absTime, duration, humanize, ms } from '../format.ts';
import type { Custody } from '../shipment-view.ts';
import { type Alarm, alarmActive } from '../types.ts';
import { alarmMessage } from '../ui/alarm-message.ts';
import { badge, emptyState, type Tone } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { actorName } from '../ui/shipment-bits.ts';

const SEVERITY: Record<string, Tone> = { critical: 'bad', warning: 'warn', info: 'info' };

export function alarmList(alarms: Alarm[]): HTMLElement[] {
  if (!alarms.length) return [emptyState('No alarms for this shipment.')];
  const sorted = [...alarms].sort((a, b) => ms(a.startedAt) - ms(b.startedAt));
  return [
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
            badge(SEVERITY[a.severity] ?? 'info', humanize(a.severity)),
            a.disproved ? badge('off', 'Disproved') : null,
          ),
          h('div', null, alarmMessage(a)),
          h(
            'div',
            { class: 'muted small' },
            `Started ${absTime(a.startedAt)} · raised ${absTime(a.raisedAt)}`,
            a.resolvedAt ? ` · resolved ${absTime(a.resolvedAt)}` : '',
          ),
          a.disproved
            ? h('div', { class: 'small' }, `Disproved ${absTime(a.disproved.at)}: ${a.disproved.reason}`)
            : null,
          a.ack
            ? h(
                'div',
                { class: 'small' },
                `Acknowledged by ${actorName(a.ack.by)} at ${absTime(a.ack.at)}: `,
                h('span', { class: 'ack-reason' }, a.ack.reason),
              )
            : null,
        ),
      ),
    ),
    h('a', { class: 'small', href: '#/alarms' }, 'All alarms'),
  ];
}

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
function describeEvent(e: Custody): [string, string, string] {
  if (e.action === 'shipment.decide' || e.action === 'shipment.decision') {
    const q = e.detail.state === 'quarantined';
    return [q ? 'Quarantined' : 'Released', q ? 'alert' : 'shield', q ? 'quarantine' : 'release'];
  }
  const [label, ic] = ACTIONS[e.action] ?? [humanize(e.action.replace(/^shipment\./, '')), 'clock'];
  return [label, ic, e.action.replace(/^shipment\./, '').replace(/[^a-z]+/g, '-')];
}

/**
 * The event's details as text: times formatted, flags as words, never a token. The logger's
 * `batch` of a dispatch is named as the header names it ("logger batch id"), and the dispatch
 * lists the same batches (lots) as the header, so the two never tell different stories.
 */
function detailText(e: Custody, lots: readonly string[]): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(e.detail)) {
    if (v === null || v === undefined || /token/i.test(k)) continue;
    if (k === 'batch' && typeof v === 'string') {
      parts.push(`logger batch id ${v}`);
      if (e.action === 'shipment.dispatch' && lots.length) parts.push(`batches ${lots.join(', ')}`);
      continue;
    }
    const key = humanize(k).toLowerCase();
    if (/(^|_)at$|At$/.test(k) && (typeof v === 'number' || typeof v === 'string')) {
      const t = ms(v);
      // The event's own time is already shown.
      if (!Number.isFinite(t) || (k === 'at' && t === ms(e.at))) continue;
      parts.push(`${key} ${absTime(t)}`);
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

/** The custody events, oldest first; `lots` are the shipment's batches as its header lists them. */
export function custodyTimeline(custody: Custody[], lots: readonly string[] = []): HTMLElement[] {
  if (!custody.length) return [emptyState('No custody events yet.')];
  const events = [...custody].sort((a, b) => ms(a.at) - ms(b.at));
  return [
    h(
      'ol',
      { class: 'timeline', testid: 'custody-timeline' },
      events.map((e) => {
        const [label, ic, kind] = describeEvent(e);
        const detail = detailText(e, lots);
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
  ];
}
