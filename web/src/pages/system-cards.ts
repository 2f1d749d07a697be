/** The system page's cards: the summary row, broker, ingest, rejections, storage, certificates. */
import { h } from '../dom.ts';
import { absDate, absTime, bytes, duration, hostPort, humanize, int, ms, rate } from '../format.ts';
import type { CertStatus, Device, SystemStatus } from '../types.ts';
import { badge, card, emptyState, statCard, type Tone } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { externalBrokersSection } from './system-external-brokers.ts';

/** `9 h ago`: the largest unit only, for headline figures. */
function shortAgo(ts: number): string {
  const s = Math.max(0, (Date.now() - ts) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** The server's continuity view first; else an embedded broker with connection counts is up. */
export function brokerReachable(s: SystemStatus): boolean {
  return s.continuity.brokerReachable ?? s.broker.connections !== null;
}

function certTone(c: CertStatus): Tone {
  return c.daysLeft < 0 ? 'bad' : c.daysLeft < 14 ? 'bad' : c.daysLeft < 45 ? 'warn' : 'ok';
}

/** Every refusal since start (connections and messages), the sum of the reasons' counts. */
export function rejectedTotal(s: SystemStatus): number {
  return Object.values(s.rejections.sinceStart).reduce((n, v) => n + v, 0);
}

export function statBlock(label: string, value: string, sub?: string, testid?: string) {
  return h(
    'div',
    { class: 'mini-stat', testid },
    h('div', { class: 'mini-label' }, label),
    h('div', { class: 'mini-value' }, value),
    sub ? h('div', { class: 'mini-sub' }, sub) : null,
  );
}

/** The state of everything at a glance, above the detail cards. */
export function summaryRow(s: SystemStatus, devices: Device[]): HTMLElement {
  const reachable = brokerReachable(s);
  const certs = Object.entries(s.certificates ?? {}).sort((a, b) => a[1].daysLeft - b[1].daysLeft);
  const soonest = certs[0];
  const reasons = Object.entries(s.rejections.sinceStart).sort((a, b) => b[1] - a[1]);
  const refused = rejectedTotal(s);
  const backupAt = s.backup?.newest ? Date.parse(s.backup.newest.createdAt) : null;
  const intervalMs = (s.backup?.intervalMinutes ?? 60) * 60_000;
  const backupTone: Tone =
    !backupAt || s.backup?.lastFailure ? 'bad' : Date.now() - backupAt > 2 * intervalMs ? 'warn' : 'ok';
  const enabled = devices.filter((d) => d.status === 'enabled');
  const offline = enabled.filter((d) => !d.online && d.lastSeenAt !== null).length;
  const never = enabled.filter((d) => d.lastSeenAt === null).length;
  return h(
    'div',
    { class: 'stats stats-6 span-3' },
    statCard(
      'Broker',
      reachable ? 'Reachable' : 'Unreachable',
      reachable ? 'ok' : 'bad',
      'signal',
      `${int(s.broker.connections?.devices)} devices connected`,
      'summary-broker',
    ),
    statCard(
      'Ingest',
      rate(s.ingest.throughput.acceptedPerSec),
      'ok',
      'bolt',
      `${int(s.ingest.accepted)} messages since start`,
    ),
    statCard(
      'Rejected',
      int(refused),
      refused ? 'warn' : 'ok',
      'alert',
      reasons[0]
        ? `since start; most: ${reasons[0][0].replace('VIGIL_ERR_', '').toLowerCase()}`
        : 'none since start',
      'summary-rejected',
    ),
    statCard(
      'Storage',
      bytes(s.storage.totalBytes),
      'ok',
      'download',
      `${s.storage.files.length} database file(s)`,
    ),
    statCard(
      'Certificates',
      soonest ? `${soonest[1].daysLeft} d` : '–',
      soonest ? certTone(soonest[1]) : 'neutral',
      'shield',
      soonest ? `next expiry: ${soonest[0] === 'ca' ? 'device CA' : soonest[0]}` : 'none reported',
    ),
    statCard(
      'Last backup',
      backupAt ? shortAgo(backupAt) : 'None',
      backupTone,
      'clock',
      backupAt ? absTime(backupAt) : 'no backup recorded',
      'summary-backup',
    ),
    statCard(
      'Offline',
      `${offline} / ${enabled.length}`,
      offline ? 'warn' : 'ok',
      'power',
      [
        offline ? 'buffering until reconnect' : 'every connected device online',
        never ? `${never} never connected` : '',
      ]
        .filter(Boolean)
        .join('; '),
      'summary-offline',
    ),
  );
}

export function brokerCard(s: SystemStatus): HTMLElement {
  const b = s.broker;
  const reachable = brokerReachable(s);
  return card(
    [icon('signal'), ' Broker'],
    [
      h(
        'div',
        { class: 'row gap wrap' },
        reachable
          ? badge(
              'ok',
              b.mode === 'external' ? 'External broker reachable' : 'Embedded broker running',
              'check',
            )
          : badge('bad', 'Broker unreachable', 'alert'),
        badge('neutral', humanize(b.mode)),
        h(
          'span',
          { class: 'muted small', title: `since ${absTime(ms(s.now) - s.uptimeS * 1000)}` },
          `Vigil up ${duration(s.uptimeS)}`,
        ),
      ),
      // The embedded broker's own counts; an external broker's sessions are its own business.
      b.connections
        ? h(
            'div',
            { class: 'mini-stats' },
            statBlock('TCP connections', int(b.connections.tcp)),
            statBlock('MQTT sessions', int(b.connections.sessions)),
            statBlock('Devices', int(b.connections.devices)),
            statBlock('Services', int(b.connections.services)),
          )
        : null,
      h('h3', { class: 'subhead' }, 'Listeners'),
      b.listeners.length
        ? h(
            'ul',
            { class: 'plain-list' },
            b.listeners.map((l) =>
              h(
                'li',
                null,
                h('code', { testid: 'listener-address' }, `${l.protocol}://${hostPort(l.address, l.port)}`),
                ' ',
                badge('ok', 'TLS + client certificates', 'shield'),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No listener.'),
      ...externalBrokersSection(b.external),
    ],
    { testid: 'system-broker' },
  );
}

export function ingestCard(s: SystemStatus, chartHost: HTMLElement, historyS: number): HTMLElement {
  const i = s.ingest;
  const t = i.throughput;
  return card(
    [icon('bolt'), ' Ingest'],
    [
      h(
        'div',
        { class: 'mini-stats' },
        statBlock('Messages accepted', rate(t.acceptedPerSec), `${int(i.accepted)} since start`),
        statBlock('Readings stored', rate(t.readingsPerSec), `${int(i.readings)} since start`),
        statBlock('Messages rejected', rate(t.rejectedPerSec), `${int(i.rejected)} since start`),
        statBlock('Last commit', `${i.lastCommitMs.toFixed(1)} ms`, `${int(i.commits)} commits`),
      ),
      h(
        'h3',
        { class: 'subhead' },
        `Throughput and rejections (per second, last ${duration(Math.max(5, historyS))})`,
      ),
      chartHost,
    ],
    { testid: 'system-ingest', class: 'span-2' },
  );
}

export function rejectionsCard(s: SystemStatus): HTMLElement {
  const since = s.rejections.sinceStart;
  const all = s.rejections.persisted;
  const reasons = [...new Set([...Object.keys(since), ...Object.keys(all)])].sort(
    (a, b) => (all[b] ?? 0) - (all[a] ?? 0),
  );
  return card(
    [icon('alert'), ' Rejections by reason'],
    reasons.length
      ? h(
          'table',
          { class: 'table table-compact' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              h('th', null, 'Reason'),
              h('th', { class: 'num' }, 'Since start'),
              h('th', { class: 'num' }, 'All time'),
            ),
          ),
          h(
            'tbody',
            null,
            reasons.map((r) =>
              h(
                'tr',
                null,
                h('td', null, h('code', null, r)),
                h('td', { class: 'num' }, int(since[r] ?? 0)),
                h('td', { class: 'num' }, int(all[r] ?? 0)),
              ),
            ),
          ),
          // The same total as the summary's Rejected tile: connections and messages refused.
          h(
            'tfoot',
            null,
            h(
              'tr',
              null,
              h('th', { scope: 'row' }, 'Total'),
              h('td', { class: 'num', testid: 'rejections-total' }, int(rejectedTotal(s))),
              h('td', { class: 'num' }, int(Object.values(all).reduce((n, v) => n + v, 0))),
            ),
          ),
        )
      : emptyState('No message rejected.', 'Forged, replayed or malformed messages would be counted here.'),
    { testid: 'system-rejections' },
  );
}

export function certsCard(s: SystemStatus): HTMLElement {
  const entries = Object.entries(s.certificates);
  return card(
    [icon('shield'), ' Certificates'],
    entries.length
      ? h(
          'ul',
          { class: 'cert-list' },
          entries.map(([name, c]) =>
            h(
              'li',
              { class: 'cert' },
              h(
                'div',
                { class: 'row between' },
                h(
                  'strong',
                  null,
                  name === 'ca' ? 'Device CA' : name === 'server' ? 'Server (HTTPS, MQTT)' : humanize(name),
                ),
                badge(
                  certTone(c),
                  c.daysLeft < 0 ? 'Expired' : `${c.daysLeft} days left`,
                  c.daysLeft < 45 ? 'clock' : 'check',
                ),
              ),
              h(
                'div',
                { class: 'muted small' },
                h('code', null, c.subject ?? '–'),
                ` · expires ${absDate(c.notAfter)}`,
              ),
              h('div', { class: 'muted small' }, 'serial ', h('code', null, c.serial)),
            ),
          ),
        )
      : emptyState('No certificate reported.'),
    { testid: 'system-certs' },
  );
}
