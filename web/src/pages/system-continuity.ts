/**
 * The system page's continuity card: broker reachability, devices offline and buffering (a
 * device that never connected is not buffering anything), backfill delivered recently, and the
 * power and battery of every device.
 */
import { h } from '../dom.ts';
import { humanize } from '../format.ts';
import { PROFILES } from '../profiles.ts';
import type { Device, SystemStatus } from '../types.ts';
import { badge, batteryMeter, card, emptyState, powerBadge, timeAgo } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { brokerReachable, statBlock } from './system-cards.ts';

export function continuityCard(s: SystemStatus, all: Device[]): HTMLElement {
  const devices = [...all].sort((a, b) => a.id.localeCompare(b.id));
  // Delivered backfill recently (server side): the device was buffering while offline.
  const backfilled = new Set(s.continuity.buffering);
  const windowH = Math.round(s.continuity.bufferingWindowMs / 3_600_000);
  // Offline now: it keeps sampling into its buffer until it reconnects.
  const bufferingNow = (d: Device) => d.status === 'enabled' && !d.online && d.lastSeenAt !== null;
  const nBuffering = devices.filter(bufferingNow).length;
  const onStored = s.continuity.onBatteryOrBackup.length;
  const reachable = brokerReachable(s);
  return card(
    [icon('power'), ' Continuity'],
    [
      h(
        'div',
        { class: 'mini-stats' },
        statBlock(
          'Broker',
          reachable ? 'Reachable' : 'Unreachable',
          reachable ? 'Devices can deliver' : 'Devices buffer until it returns',
          'continuity-broker',
        ),
        statBlock(
          'Offline, buffering',
          String(nBuffering),
          'Data arrives as backfill on reconnect',
          'continuity-buffering',
        ),
        statBlock(
          `Backfilled, last ${windowH} h`,
          String(backfilled.size),
          'Delivered samples buffered offline',
          'continuity-backfilled',
        ),
        statBlock('On battery or backup', String(onStored), 'Mains power lost', 'continuity-power'),
      ),
      devices.length
        ? h(
            'table',
            { class: 'table table-compact table-responsive', testid: 'continuity-table' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Device', 'Link', 'Power', 'Battery', 'Last seen'].map((t) => h('th', null, t)),
              ),
            ),
            h(
              'tbody',
              null,
              devices.map((d) =>
                h(
                  'tr',
                  null,
                  h(
                    'td',
                    { 'data-label': 'Device' },
                    h('a', { href: `#/device/${encodeURIComponent(d.id)}` }, d.id),
                    h('div', { class: 'muted small' }, PROFILES[d.profile].label),
                  ),
                  h(
                    'td',
                    { 'data-label': 'Link' },
                    d.status !== 'enabled'
                      ? badge('off', humanize(d.status))
                      : d.lastSeenAt === null
                        ? badge('neutral', 'Never connected', undefined, `continuity-link-${d.id}`)
                        : d.online
                          ? backfilled.has(d.id)
                            ? badge('info', 'Online · backfilled', 'clock')
                            : badge('ok', 'Online')
                          : badge('warn', 'Offline · buffering', 'clock'),
                  ),
                  h('td', { 'data-label': 'Power' }, powerBadge(d.latest?.data.power)),
                  h('td', { 'data-label': 'Battery' }, batteryMeter(d.latest?.data.bat_pct)),
                  h('td', { 'data-label': 'Last seen' }, timeAgo(d.lastSeenAt)),
                ),
              ),
            ),
          )
        : emptyState('No devices.'),
    ],
    { testid: 'system-continuity', class: 'span-2' },
  );
}
