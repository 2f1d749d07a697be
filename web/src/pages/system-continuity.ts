/**
 * The continuity parts of the system page: "what happens if something fails now" at a glance
 * (backup age and drill, RPO/RTO, brokers, devices buffering or offline, UPS, disk forecast,
 * certificate expiries; each item jumps to its detail), and the detail cards: backup and storage,
 * power (host UPS and devices), and the devices' links.
 */
import { h } from '../dom.ts';
import { absDate, absTime, bytes, humanize, int, ms, msOrNull } from '../format.ts';
import { PROFILES } from '../profiles.ts';
import type { Device, SystemStatus } from '../types.ts';
import { badge, batteryMeter, card, emptyState, powerBadge, type Tone, timeAgo } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';

/** `12 min`, `3.4 h`, `2.1 d`. */
export function span(msv: number | null | undefined): string {
  if (msv === null || msv === undefined) return '–';
  const s = msv / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

/** Scrolls to a detail card of this page (the hash stays the route). */
function jumpLink(target: string, text: string): HTMLElement {
  return h(
    'a',
    {
      href: target.startsWith('#/') ? target : '#/system',
      class: 'continuity-link',
      onclick: (ev: Event) => {
        if (target.startsWith('#/')) return;
        ev.preventDefault();
        (
          document.getElementById(target) ?? document.querySelector(`[data-testid="${target}"]`)
        )?.scrollIntoView({
          behavior: 'smooth',
          block: 'start',
        });
      },
    },
    text,
    ' →',
  );
}

function item(o: {
  testid: string;
  iconName: string;
  title: string;
  tone: Tone;
  value: string;
  text: string;
  target: string;
}): HTMLElement {
  return h(
    'li',
    { class: `continuity-item tone-${o.tone}`, testid: o.testid },
    h('div', { class: 'continuity-head' }, icon(o.iconName), h('span', null, o.title)),
    h('div', { class: 'continuity-value' }, badge(o.tone, o.value)),
    h('div', { class: 'muted small' }, o.text),
    jumpLink(o.target, 'details'),
  );
}

/** The at-a-glance list. */
export function continuityOverview(s: SystemStatus, devices: Device[]): HTMLElement {
  const b = s.backup;
  const intervalMs = (b?.intervalMinutes ?? 60) * 60_000;
  const age = b?.newest?.ageMs ?? null;
  const backupTone: Tone = !b?.configured
    ? 'bad'
    : b.lastFailure || age === null || age > 2 * intervalMs
      ? 'bad'
      : age > intervalMs * 1.2
        ? 'warn'
        : 'ok';
  const drill = b?.lastDrill ?? null;
  const drillAge = drill ? Date.now() - ms(drill.at) : null;
  const drillTone: Tone = !drill
    ? 'warn'
    : !drill.ok
      ? 'bad'
      : (drillAge ?? 0) > 8 * 86_400_000
        ? 'warn'
        : 'ok';
  const brokers = s.continuity?.brokers ?? [];
  const onSecondary = brokers.filter((x) => !x.primary).flatMap((x) => x.devices);
  const cdev = s.continuity?.devices ?? [];
  const buffering = cdev.filter((d) => (d.buffered ?? 0) > 0 || (!d.online && d.buffering));
  // A device that never connected is not offline-and-buffering; it is counted apart.
  const offline = devices.filter((d) => d.status === 'enabled' && !d.online && d.lastSeenAt !== null);
  const ups = s.power?.ups ?? null;
  const upsTone: Tone = !ups
    ? 'neutral'
    : !ups.reachable
      ? 'warn'
      : ups.lowBattery
        ? 'bad'
        : ups.onBattery
          ? 'warn'
          : 'ok';
  const disk = s.disk;
  const diskTone: Tone = disk?.full
    ? 'bad'
    : disk?.forecastDays !== null && disk?.forecastDays !== undefined && disk.forecastDays < disk.minFreeDays
      ? 'warn'
      : 'ok';
  const certs = Object.entries(s.certificates ?? {}).sort((a, c) => a[1].daysLeft - c[1].daysLeft);
  const soonest = certs[0];
  const items = [
    item({
      testid: 'continuity-backup',
      iconName: 'download',
      title: 'Backup',
      tone: backupTone,
      value: !b?.configured ? 'Not set up' : b.newest ? `${span(age)} old` : 'None yet',
      text: !b?.configured
        ? 'run vigil backup init'
        : b.lastFailure
          ? `last attempt failed: ${b.lastFailure.error.slice(0, 80)}`
          : `every ${b.intervalMinutes} min · next ${b.nextAt ? absTime(b.nextAt) : '–'}`,
      target: 'system-backup',
    }),
    item({
      testid: 'continuity-drill',
      iconName: 'check',
      title: 'Restore drill',
      tone: drillTone,
      value: !drill ? 'Never run' : drill.ok ? `RTO ${span(drill.rtoMs)}` : 'Failed',
      text: drill?.ok
        ? `RPO ${span(drill.rpoMs)} · ${timeAgoText(drill.at)}`
        : drill
          ? (drill.error ?? '').slice(0, 80)
          : 'vigil backup drill --identity FILE',
      target: 'system-backup',
    }),
    item({
      testid: 'continuity-brokers',
      iconName: 'signal',
      title: 'Brokers',
      tone: onSecondary.length ? 'warn' : 'ok',
      value: brokers.length ? `${brokers.length} advertised` : 'This host',
      text: onSecondary.length
        ? `${onSecondary.length} device(s) on a secondary broker`
        : 'all reporting devices on the primary',
      target: 'system-continuity',
    }),
    item({
      testid: 'continuity-devices',
      iconName: 'clock',
      title: 'Devices buffering / offline',
      tone: offline.length || buffering.length ? 'warn' : 'ok',
      value: `${buffering.length} / ${offline.length}`,
      text: `${int(cdev.reduce((n, d) => n + (d.buffered ?? 0), 0))} samples held in device outboxes`,
      target: 'system-continuity',
    }),
    item({
      testid: 'continuity-ups',
      iconName: 'power',
      title: 'Host UPS',
      tone: upsTone,
      value: !ups ? 'Not configured' : !ups.reachable ? 'Unreachable' : ups.status.join(' ') || '?',
      text: ups?.reachable
        ? `battery ${ups.chargePct ?? '–'} % · runtime ${ups.runtimeS !== null ? span(ups.runtimeS * 1000) : '–'}`
        : ups
          ? (ups.error ?? '').slice(0, 80)
          : 'set power.nut to read it through NUT',
      target: 'system-power',
    }),
    item({
      testid: 'continuity-disk',
      iconName: 'download',
      title: 'Disk',
      tone: diskTone,
      value: disk?.full
        ? 'FULL'
        : disk?.forecastDays !== null && disk?.forecastDays !== undefined
          ? `${disk.forecastDays > 3650 ? '> 10 years' : `${disk.forecastDays.toFixed(0)} d`} left`
          : 'No growth',
      text: disk ? `${bytes(disk.freeBytes)} free · alarm below ${disk.minFreeDays} d` : '–',
      target: 'system-storage',
    }),
    item({
      testid: 'continuity-certs',
      iconName: 'shield',
      title: 'Certificates',
      tone: soonest
        ? soonest[1].daysLeft < 14
          ? 'bad'
          : soonest[1].daysLeft < 45
            ? 'warn'
            : 'ok'
        : 'neutral',
      value: soonest ? `${soonest[1].daysLeft} d` : '–',
      text: soonest
        ? `next: ${soonest[0] === 'ca' ? 'device CA' : soonest[0]} on ${absDate(soonest[1].notAfter)}`
        : 'none reported',
      target: 'system-certs',
    }),
  ];
  return card(
    [icon('power'), ' Continuity: what happens if something fails now'],
    [
      s.readOnly
        ? h(
            'p',
            { class: 'banner banner-bad', testid: 'read-only-banner' },
            icon('alert'),
            ' The data volume is full: readings are not acknowledged (devices keep them) and the dashboard is read-only until space returns.',
          )
        : null,
      h('ul', { class: 'continuity-grid' }, items),
    ],
    { testid: 'system-continuity-overview', class: 'span-3' },
  );
}

export function timeAgoText(time: string | number | null): string {
  const t = msOrNull(time);
  if (t === null) return '–';
  const s = Math.max(0, (Date.now() - t) / 1000);
  return s < 3600
    ? `${Math.round(s / 60)} min ago`
    : s < 86_400
      ? `${Math.round(s / 3600)} h ago`
      : `${Math.round(s / 86_400)} d ago`;
}

export const line = (label: string, ...value: (Node | string)[]) =>
  h('li', { class: 'row between' }, h('span', { class: 'muted' }, label), h('span', null, ...value));

/** Storage, disk forecast and backups (replaces the old storage card). */
export function backupCard(s: SystemStatus): HTMLElement {
  const b = s.backup;
  const d = s.disk;
  const el = card(
    [icon('download'), ' Storage and backup'],
    [
      h(
        'ul',
        { class: 'plain-list', testid: 'storage-total' },
        line('Database', bytes(s.storage.totalBytes)),
        d
          ? line(
              'Free on the data volume',
              bytes(d.freeBytes),
              d.totalBytes ? ` of ${bytes(d.totalBytes)}` : '',
            )
          : null,
        d
          ? line(
              'Growth at the current rate',
              d.growthBytesPerDay !== null ? `${bytes(d.growthBytesPerDay)} / day` : '–',
            )
          : null,
        d?.full ? line('State', badge('bad', `Full since ${absTime(d.full.since)}`, 'alert')) : null,
      ),
      h('h3', { class: 'subhead' }, 'Backups'),
      !b?.configured
        ? h(
            'p',
            null,
            badge('bad', 'Not set up', 'alert'),
            h('span', { class: 'muted' }, ' run vigil backup init (docs/operations.md)'),
          )
        : h(
            'ul',
            { class: 'plain-list', testid: 'backup-detail' },
            line(
              'Newest',
              b.newest ? `${absTime(b.newest.createdAt)} · ${bytes(b.newest.bytes)}` : 'none yet',
            ),
            line('Next scheduled', b.running ? 'running now' : b.nextAt ? absTime(b.nextAt) : '–'),
            line(
              'Last failure',
              b.lastFailure
                ? badge('bad', `${absTime(b.lastFailure.at)}: ${b.lastFailure.error.slice(0, 60)}`)
                : 'none',
            ),
            line(
              'Last verify',
              b.lastVerify
                ? badge(
                    b.lastVerify.ok ? 'ok' : 'bad',
                    `${b.lastVerify.ok ? 'OK' : 'FAILED'} · ${absTime(b.lastVerify.at)}`,
                  )
                : 'never',
            ),
            line(
              'Last drill',
              b.lastDrill
                ? badge(
                    b.lastDrill.ok ? 'ok' : 'bad',
                    b.lastDrill.ok
                      ? `OK · RPO ${span(b.lastDrill.rpoMs)} · RTO ${span(b.lastDrill.rtoMs)} · ${absTime(b.lastDrill.at)}`
                      : `FAILED · ${absTime(b.lastDrill.at)}`,
                  )
                : 'never',
            ),
            line(
              'Off-site copy (backup.command)',
              !b.hookConfigured
                ? 'not configured'
                : b.lastHook
                  ? badge(
                      b.lastHook.ok ? 'ok' : 'bad',
                      b.lastHook.ok
                        ? `OK · ${absTime(b.lastHook.at)}`
                        : `FAILED: ${b.lastHook.error ?? ''}`.slice(0, 80),
                    )
                  : 'not run yet',
            ),
          ),
    ],
    { testid: 'system-storage' },
  );
  el.id = 'system-storage';
  const anchor = h('span', { id: 'system-backup' });
  el.prepend(anchor);
  return el;
}

/** Every device's link: broker, outbox, power, last seen (and the figures the old card had). */
export function continuityDevicesCard(s: SystemStatus, devices: Device[], brokerOk: boolean): HTMLElement {
  const byId = new Map((s.continuity?.devices ?? []).map((d) => [d.id, d]));
  const brokers = s.continuity?.brokers ?? [];
  const primaryOf = new Map(brokers.flatMap((b) => b.devices.map((id) => [id, b.primary] as const)));
  const backfilled = new Set(s.continuity?.buffering ?? []);
  const windowH = Math.round((s.continuity?.bufferingWindowMs ?? 3_600_000) / 3_600_000);
  const nBuffering = devices.filter(
    (d) => d.status === 'enabled' && !d.online && d.lastSeenAt !== null,
  ).length;
  const onStored = s.continuity?.onBatteryOrBackup?.length ?? 0;
  const stat = (label: string, value: string, sub: string, testid: string) =>
    h(
      'div',
      { class: 'mini-stat', testid },
      h('div', { class: 'mini-label' }, label),
      h('div', { class: 'mini-value' }, value),
      h('div', { class: 'mini-sub' }, sub),
    );
  const el = card(
    [icon('signal'), ' Devices and brokers'],
    [
      h(
        'div',
        { class: 'mini-stats' },
        stat(
          'Broker',
          brokerOk ? 'Reachable' : 'Unreachable',
          brokerOk ? 'Devices can deliver' : 'Devices buffer until it returns',
          'continuity-broker',
        ),
        stat(
          'Offline, buffering',
          String(nBuffering),
          'Data arrives as backfill on reconnect',
          'continuity-buffering',
        ),
        stat(
          `Backfilled, last ${windowH} h`,
          String(backfilled.size),
          'Delivered samples buffered offline',
          'continuity-backfilled',
        ),
        stat('On battery or backup', String(onStored), 'Mains power lost', 'continuity-power'),
      ),
      brokers.length
        ? h(
            'ul',
            { class: 'plain-list', testid: 'broker-list' },
            brokers.map((b) =>
              h(
                'li',
                { class: 'row between' },
                h('code', null, b.url),
                h(
                  'span',
                  null,
                  badge(b.primary ? 'ok' : 'warn', b.primary ? 'primary' : 'secondary'),
                  ` ${b.devices.length} device(s)`,
                ),
              ),
            ),
          )
        : null,
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
                ['Device', 'Link', 'Broker', 'Outbox', 'Power and battery', 'Last seen'].map((t) =>
                  h('th', null, t),
                ),
              ),
            ),
            h(
              'tbody',
              null,
              devices.map((d) => {
                const c = byId.get(d.id);
                const onPrimary = primaryOf.get(d.id);
                return h(
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
                        ? // Never connected: it has nothing to buffer.
                          badge('neutral', 'Never connected', undefined, `continuity-link-${d.id}`)
                        : d.online
                          ? backfilled.has(d.id)
                            ? badge('info', 'Online · backfilled', 'clock')
                            : badge('ok', 'Online')
                          : badge(
                              'warn',
                              `Offline since ${timeAgoText(c?.offlineSince ?? d.lastSeenAt)}`,
                              'clock',
                            ),
                  ),
                  h(
                    'td',
                    { 'data-label': 'Broker' },
                    c?.broker
                      ? [
                          h('code', { class: 'small' }, c.broker.replace('mqtts://', '')),
                          onPrimary === false ? [' ', badge('warn', 'secondary')] : null,
                        ]
                      : '–',
                  ),
                  h(
                    'td',
                    { 'data-label': 'Outbox' },
                    c?.buffered
                      ? badge('warn', `${int(c.buffered)} buffered`)
                      : c?.buffered === 0
                        ? '0'
                        : '–',
                  ),
                  h(
                    'td',
                    { 'data-label': 'Power and battery' },
                    powerBadge(d.latest?.data.power),
                    batteryMeter(d.latest?.data.bat_pct),
                  ),
                  h('td', { 'data-label': 'Last seen' }, timeAgo(d.lastSeenAt)),
                );
              }),
            ),
          )
        : emptyState('No devices.'),
    ],
    { testid: 'system-continuity', class: 'span-2' },
  );
  el.id = 'system-continuity';
  return el;
}
