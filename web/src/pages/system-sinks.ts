/**
 * The sinks card of the system page: each sink (InfluxDB, webhooks) with its state, what waits
 * in its outbox, deliveries, failures and the last error (`sinks` of `GET /api/v1/system`).
 */
import { h } from '../dom.ts';
import { int } from '../format.ts';
import type { SinkStatusView } from '../types.ts';
import { badge, card, type Tone, timeAgo } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';

const at = (iso: string | null) => (iso === null ? '–' : timeAgo(iso));

function stateBadge(s: SinkStatusView) {
  const tone: Tone = s.state === 'failing' ? 'bad' : s.state === 'ok' ? 'ok' : 'neutral';
  const text = s.state === 'failing' ? 'Failing' : s.state === 'ok' ? 'Delivering' : 'Idle';
  return badge(
    tone,
    text,
    s.state === 'failing' ? 'alert' : s.state === 'ok' ? 'check' : 'clock',
    `sink-state-${s.name}`,
  );
}

export function sinksCard(sinks: readonly SinkStatusView[]): HTMLElement {
  return card(
    [icon('download'), ' Sinks'],
    h(
      'table',
      { class: 'table table-compact table-responsive', testid: 'sinks-table' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Sink', 'State', 'Waiting', 'Delivered', 'Failures', 'Dropped', 'Last success', 'Last error'].map(
            (c) => h('th', null, c),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        sinks.map((s) =>
          h(
            'tr',
            { testid: `sink-${s.name}` },
            h(
              'td',
              { 'data-label': 'Sink' },
              h('strong', null, s.name),
              h('div', { class: 'muted small' }, s.target),
            ),
            h(
              'td',
              { 'data-label': 'State' },
              stateBadge(s),
              s.failingSince ? h('div', { class: 'muted small' }, 'since ', at(s.failingSince)) : null,
            ),
            h('td', { 'data-label': 'Waiting' }, int(s.outbox.pending)),
            h('td', { 'data-label': 'Delivered' }, int(s.delivered)),
            h('td', { 'data-label': 'Failures' }, int(s.failures)),
            h('td', { 'data-label': 'Dropped' }, int(s.outbox.dropped + s.refused)),
            h('td', { 'data-label': 'Last success' }, at(s.lastSuccessAt)),
            h(
              'td',
              { class: 'small', 'data-label': 'Last error' },
              s.lastError ? h('code', null, s.lastError) : '–',
            ),
          ),
        ),
      ),
    ),
    { testid: 'system-sinks', class: 'span-3' },
  );
}
