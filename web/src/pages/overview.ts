/**
 * Fleet overview: every device with online state, last seen, battery, power source, signal,
 * latest values and alarm state; filter by profile and text; live updates from the feed.
 */

import { highestLevel, outOfRange } from '../alarm-level.ts';
import { describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { placeMatches, placeText } from '../device-place.ts';
import { cx, h, replace } from '../dom.ts';
import { duration } from '../format.ts';
import { staleness } from '../freshness.ts';
import { loadGateways, viaOf } from '../gateways.ts';
import { fmtField, limitOf, limitState, PROFILES } from '../profiles.ts';
import type { ReadingEvent } from '../store.ts';
import { type Device, PROFILE_NAMES, type Profile } from '../types.ts';
import {
  batteryMeter,
  deviceStatusBadge,
  emptyState,
  errorBox,
  loading,
  pageHeader,
  powerBadge,
  segmented,
  signalBars,
  statCard,
  timeAgo,
} from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { levelBadge } from '../ui/level-badge.ts';

type Filter = 'all' | Profile;

/** Kept across visits of the page (same browser tab). */
const state: { filter: Filter; text: string; alarmsOnly: boolean } = {
  filter: 'all',
  text: '',
  alarmsOnly: false,
};

const FLASH_MS = 1200;

export const overviewPage: Page = (root, ctx, params) => {
  if (params.profile && (PROFILE_NAMES as string[]).includes(params.profile))
    state.filter = params.profile as Profile;
  const { store } = ctx;
  const flashed = new Map<string, number>();

  const summary = h('div', { class: 'stats' });
  const search = h('input', {
    type: 'search',
    class: 'search',
    // Bed and ward match too, for the roles that see them.
    placeholder: ctx.can('devices.labels.read') ? 'Device, ward or bed' : 'Search device id',
    'aria-label': 'Search devices',
    value: state.text,
    testid: 'device-search',
  });
  const alarmsOnly = h('input', { type: 'checkbox', testid: 'alarms-only' });
  alarmsOnly.checked = state.alarmsOnly;
  const tableHost = h('div', { class: 'table-host' });
  const counts = h('span', { class: 'muted small' });

  const filterBar = h(
    'div',
    { class: 'toolbar' },
    segmented<Filter>(
      'Profile',
      [
        { value: 'all', label: 'All', testid: 'filter-all' },
        ...PROFILE_NAMES.map((p) => ({ value: p, label: PROFILES[p].label, testid: `filter-${p}` })),
      ],
      state.filter,
      (v) => {
        state.filter = v;
        render();
      },
    ),
    h(
      'div',
      { class: 'toolbar-right' },
      h('label', { class: 'check' }, alarmsOnly, h('span', null, 'Alarms only')),
      search,
    ),
  );
  search.addEventListener('input', () => {
    state.text = search.value.trim().toLowerCase();
    render();
  });
  alarmsOnly.addEventListener('change', () => {
    state.alarmsOnly = alarmsOnly.checked;
    render();
  });

  replace(
    root,
    pageHeader('Fleet', 'Every device, its health and its latest reading. Updates live.'),
    summary,
    h(
      'section',
      { class: 'card' },
      h('header', { class: 'card-header' }, filterBar),
      tableHost,
      h('footer', { class: 'card-footer' }, counts),
    ),
  );

  function renderSummary(devices: Device[]): void {
    const online = devices.filter((d) => d.online).length;
    const enabled = devices.filter((d) => d.status === 'enabled').length;
    // Active = open or acknowledged, not yet resolved; unacknowledged ones still need someone.
    const active = store.loaded ? store.openAlarms() : [];
    const alarms = active.length;
    const unacked = active.filter((a) => !a.ack).length;
    const withAlarm = devices.filter((d) => d.alarm === 'open').length;
    const onBattery = devices.filter(
      (d) => d.latest?.data.power === 'battery' || d.latest?.data.power === 'backup',
    ).length;
    const lowBat = devices.filter(
      (d) => typeof d.latest?.data.bat_pct === 'number' && (d.latest.data.bat_pct as number) < 20,
    ).length;
    replace(
      summary,
      statCard(
        'Online',
        `${online} / ${devices.length}`,
        online < enabled ? 'warn' : 'ok',
        'signal',
        online < enabled ? `${enabled - online} enabled device(s) offline` : 'All enabled devices reporting',
        'stat-online',
      ),
      statCard(
        'Active alarms',
        String(ctx.can('alarms.read') ? alarms : withAlarm),
        unacked || (!ctx.can('alarms.read') && withAlarm) ? 'bad' : alarms ? 'warn' : 'ok',
        'alert',
        withAlarm
          ? ctx.can('alarms.read')
            ? `${unacked} not acknowledged · on ${withAlarm} device(s)`
            : `on ${withAlarm} device(s)`
          : 'No excursions',
        'stat-alarms',
      ),
      statCard(
        'On battery',
        String(onBattery),
        onBattery ? 'warn' : 'ok',
        'battery',
        onBattery ? 'Mains lost: on battery or backup' : 'All on mains power',
      ),
      statCard('Low battery', String(lowBat), lowBat ? 'bad' : 'ok', 'power', 'Below 20 %'),
    );
  }

  function latestCell(d: Device, now: number): HTMLElement {
    if (!d.latest) return h('span', { class: 'muted' }, 'No data yet');
    const meta = PROFILES[d.profile];
    const fields = meta.summary.filter((f) => d.latest?.data[f] !== undefined && d.latest.data[f] !== null);
    // Stale (older than the device's online window): greyed, with the age.
    const fresh = staleness(d, now);
    return h(
      'span',
      {
        class: cx('values', fresh?.stale && 'values-stale'),
        testid: fresh?.stale ? `stale-${d.id}` : undefined,
      },
      fresh?.stale
        ? h(
            'span',
            { class: 'value-age', title: 'Not updated for over 2.5 reporting intervals' },
            `${duration(fresh.ageMs / 1000)} old`,
          )
        : null,
      fields.map((f) => {
        const v = d.latest?.data[f];
        const st = limitState(v, limitOf(d, f));
        const label = d.profile === 'patient-vitals' || f !== 'temp_c' ? shortLabel(f) : null;
        return h(
          'span',
          {
            class: cx('value', (st === 'high' || st === 'low') && 'value-bad'),
            testid: f === 'temp_c' ? `latest-temp-${d.id}` : undefined,
            title: st === 'high' ? 'Above limit' : st === 'low' ? 'Below limit' : undefined,
          },
          label ? h('span', { class: 'value-key' }, label) : null,
          fmtField(f, v),
          st === 'high' ? ' ▲' : st === 'low' ? ' ▼' : '',
        );
      }),
    );
  }

  function row(d: Device, now: number): HTMLTableRowElement {
    const flash = (flashed.get(d.id) ?? 0) > now - FLASH_MS;
    const data = d.latest?.data ?? {};
    const link = h('a', { href: `#/device/${encodeURIComponent(d.id)}`, class: 'device-link' }, d.id);
    return h(
      'tr',
      {
        class: cx('device-row', d.alarm === 'open' && 'row-alarm', flash && 'row-flash'),
        testid: `device-row-${d.id}`,
      },
      h(
        'td',
        { 'data-label': 'Device' },
        h(
          'div',
          { class: 'device-cell' },
          profileIcon(d.profile),
          h(
            'div',
            null,
            link,
            placeText(d.labels)
              ? h('div', { class: 'device-place-line', testid: `place-${d.id}` }, placeText(d.labels))
              : null,
            h('div', { class: 'muted small' }, PROFILES[d.profile].label, viaLabel(d.id)),
          ),
        ),
      ),
      h('td', { 'data-label': 'Status' }, deviceStatusBadge(d)),
      h('td', { 'data-label': 'Last seen' }, timeAgo(d.lastSeenAt)),
      h('td', { 'data-label': 'Latest', class: 'col-values' }, latestCell(d, now)),
      h('td', { 'data-label': 'Power' }, powerBadge(data.power)),
      h('td', { 'data-label': 'Battery' }, batteryMeter(data.bat_pct)),
      h('td', { 'data-label': 'Signal' }, signalBars(data.rssi_dbm)),
      h(
        'td',
        { 'data-label': 'Alarm' },
        levelBadge(highestLevel(store.openAlarms().filter((a) => a.subject === d.id)), {
          outOfRange: outOfRange(d),
          alarm: d.alarm,
          testid: `device-level-${d.id}`,
        }),
      ),
    );
  }

  function render(): void {
    const all = [...store.devices.values()];
    renderSummary(all);
    if (!store.loaded) {
      replace(tableHost, store.error ? errorBox(describeError(store.error)) : loading('Loading devices…'));
      return;
    }
    const shown = all
      .filter((d) => state.filter === 'all' || d.profile === state.filter)
      .filter((d) => !state.text || d.id.includes(state.text) || placeMatches(d.labels, state.text))
      .filter((d) => !state.alarmsOnly || d.alarm === 'open')
      .sort((a, b) => (a.alarm === b.alarm ? a.id.localeCompare(b.id) : a.alarm === 'open' ? -1 : 1));
    counts.textContent = `${shown.length} of ${all.length} devices`;
    if (!shown.length) {
      replace(
        tableHost,
        emptyState(
          all.length ? 'No device matches the filter.' : 'No devices yet.',
          all.length ? undefined : 'An admin can add devices under Admin → Devices.',
        ),
      );
      return;
    }
    const now = Date.now();
    replace(
      tableHost,
      h(
        'table',
        { class: 'table table-responsive', testid: 'device-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Device', 'Status', 'Last seen', 'Latest values', 'Power', 'Battery', 'Signal', 'Alarm'].map(
              (t) => h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          null,
          shown.map((d) => row(d, now)),
        ),
      ),
    );
  }

  const unsubs = [
    store.on('devices', render),
    store.on('alarms', render),
    store.on('reading', (e) => {
      flashed.set((e as ReadingEvent).deviceId, Date.now());
    }),
  ];
  render();
  // "via GW-ID" on devices relayed by a gateway: drawn again once the gateways are known.
  void loadGateways()
    .then(render)
    .catch(() => {});
  return () => {
    for (const u of unsubs) u();
  };
};

/** ` · via GW-ID` for a device relayed by a gateway. */
export function viaLabel(deviceId: string): HTMLElement | null {
  const gw = viaOf(deviceId);
  return gw ? h('span', { class: 'via', testid: `via-${deviceId}` }, ` · via ${gw}`) : null;
}

function shortLabel(f: string): string {
  return { hr_bpm: 'HR', spo2_pct: 'SpO₂', rr_bpm: 'RR', sbp_mmhg: 'SBP', temp_c: 'T', rh_pct: 'RH' }[f] ?? f;
}

export function profileIcon(p: Profile): HTMLElement {
  const name = p === 'vaccine-transport' ? 'truck' : p === 'patient-vitals' ? 'heart' : 'thermo';
  return h('span', { class: `profile-icon profile-${p}` }, icon(name));
}
