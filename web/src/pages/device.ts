/**
 * One device: its state and latest values, charts over a chosen range with the profile's
 * limits, gaps and backfilled points, its open alarms, (with `devices.control`) the
 * enable/disable control, and its keys, certificate and commands (sending with `devices.command`).
 */

import { highestLevel, outOfRange } from '../alarm-level.ts';
import { api, describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { h, replace } from '../dom.ts';
import { absDate, absTime, duration, num } from '../format.ts';
import { staleness } from '../freshness.ts';
import { loadGateways, viaOf } from '../gateways.ts';
import { scorePoint } from '../news2-score.ts';
import { PROFILES } from '../profiles.ts';
import type { ReadingEvent } from '../store.ts';
import type { Device, DeviceDetailView, DeviceSummary, Reading, ShipmentView } from '../types.ts';
import { alarmMessage } from '../ui/alarm-message.ts';
import {
  badge,
  batteryMeter,
  confirmDialog,
  deviceStatusBadge,
  emptyState,
  errorBox,
  loading,
  powerBadge,
  signalBars,
  timeAgo,
  toast,
} from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { levelBadge } from '../ui/level-badge.ts';
import { deviceControlPanel } from './device-control.ts';
import { createDeviceHistory, RANGES, type RangeKey } from './device-history.ts';
import { deviceOutputsPanel } from './device-outputs.ts';
import { devicePlace } from './device-place.ts';
import { measureTile, news2Tile, tile, vitalTile } from './device-tiles.ts';
import { showLoggerDisplay } from './logger-display.ts';
import { profileIcon } from './overview.ts';

export const devicePage: Page = (root, ctx, params) => {
  const id = params.id ?? '';
  let device: Device | null = ctx.store.devices.get(id) ?? null;
  /** The shipment the logger is on now (linked from the header). */
  let trip: ShipmentView | null = null;
  let stopped = false;
  const history = createDeviceHistory(
    id,
    () => device,
    params.range && params.range in RANGES ? (params.range as RangeKey) : '24h',
    () => stopped,
  );

  const head = h('div', { class: 'device-head' });
  const current = h('div', { class: 'tiles', testid: 'current-values' });
  const alarmsHost = h('div');
  const displayHost = h('div');
  const controlPanel = deviceControlPanel(ctx, id, () => device?.profile);
  // Built once the profile is known (it names the outputs).
  const outputsHost = h('div');
  let outputsPanel: { el: HTMLElement; stop(): void } | undefined;
  const showOutputs = () => {
    if (outputsPanel || !device || stopped) return;
    outputsPanel = deviceOutputsPanel(ctx, id, device.profile);
    outputsHost.append(outputsPanel.el);
  };
  replace(
    root,
    h(
      'nav',
      { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/overview' }, 'Fleet'),
      h('span', { 'aria-hidden': 'true' }, ' / '),
      h('span', null, id),
    ),
    head,
    current,
    alarmsHost,
    outputsHost,
    displayHost,
    history.el,
    controlPanel.el,
  );

  function renderHead(): void {
    if (!device) {
      replace(head, h('h1', null, id));
      return;
    }
    const d = device;
    const controls: HTMLElement[] = [];
    if (ctx.can('devices.control')) {
      if (d.status === 'enabled') {
        controls.push(
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-danger-outline',
              testid: 'control-disable',
              onclick: () => void control('disable'),
            },
            icon('power'),
            'Disable device',
          ),
        );
      } else if (d.status === 'disabled') {
        controls.push(
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-primary',
              testid: 'control-enable',
              onclick: () => void control('enable'),
            },
            icon('power'),
            'Enable device',
          ),
        );
      }
    }
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
            profileIcon(d.profile),
            h('span', { testid: 'device-id' }, d.id),
          ),
          h(
            'p',
            { class: 'subtitle device-meta' },
            deviceStatusBadge(d),
            levelBadge(highestLevel(ctx.store.openAlarms().filter((a) => a.subject === d.id)), {
              outOfRange: outOfRange(d),
              alarm: d.alarm,
              testid: 'device-level',
            }),
            h('span', null, PROFILES[d.profile].label),
            viaOf(d.id) ? h('span', { testid: 'device-via' }, `via ${viaOf(d.id)}`) : null,
            h('span', null, 'Last seen ', timeAgo(d.lastSeenAt)),
            d.alg ? h('span', { title: 'Payload encryption' }, d.alg) : null,
            d.certNotAfter ? h('span', null, `Certificate until ${absDate(d.certNotAfter)}`) : null,
            trip
              ? h(
                  'span',
                  null,
                  icon('truck'),
                  ' On shipment ',
                  h(
                    'a',
                    { href: `#/shipment/${encodeURIComponent(trip.id)}`, testid: 'device-shipment' },
                    trip.id,
                  ),
                )
              : null,
          ),
          // A patient monitor's bed and ward, for the roles that may see them (and set them).
          devicePlace(ctx, d, (labels) => {
            d.labels = labels;
            const known = ctx.store.devices.get(id);
            if (known) known.labels = labels;
            renderHead();
          }),
        ),
        controls.length ? h('div', { class: 'page-actions' }, controls) : null,
      ),
    );
  }

  function renderCurrent(): void {
    const d = device;
    const r = d?.latest;
    if (!d || !r) {
      replace(current, d ? emptyState('No readings from this device yet.') : loading());
      return;
    }
    const data = r.data;
    const tiles: HTMLElement[] = [];
    if (d.profile === 'patient-vitals') {
      // NEWS2 and its band first (RCP 2017): the score the clinical response follows.
      const score = scorePoint({ ts: r.ts, n: 1, backfill: r.backfill, values: r.data });
      tiles.push(news2Tile(score));
      for (const f of ['rr_bpm', 'spo2_pct', 'sbp_mmhg', 'hr_bpm']) tiles.push(vitalTile(f, r, score));
      tiles.push(vitalTile('temp_c', r, score, 'latest-temp'));
      const c = data.consciousness;
      tiles.push(
        tile('Consciousness (ACVPU)', typeof c === 'string' ? c : '–', {
          tone: c === 'A' ? 'ok' : typeof c === 'string' ? 'bad' : undefined,
          sub: c === 'A' ? 'Alert' : typeof c === 'string' ? 'Not alert' : null,
        }),
      );
      tiles.push(
        tile('Supplemental oxygen', data.on_oxygen === true ? 'Yes' : data.on_oxygen === false ? 'No' : '–', {
          tone: data.on_oxygen ? 'warn' : undefined,
        }),
      );
    } else {
      tiles.push(measureTile(d, 'temp_c', r, 'latest-temp'));
      if (data.rh_pct !== undefined) tiles.push(measureTile(d, 'rh_pct', r));
      if (typeof data.lat === 'number' && typeof data.lon === 'number') {
        tiles.push(
          tile('Position', `${num(data.lat, 4)}, ${num(data.lon, 4)}`, {
            sub: h('a', { href: `#/map?focus=${encodeURIComponent(d.id)}` }, icon('pin'), 'Show on map'),
          }),
        );
      }
      if (typeof data.door === 'string')
        tiles.push(
          tile('Door', data.door === 'open' ? 'Open' : 'Closed', {
            tone: data.door === 'open' ? 'warn' : 'ok',
          }),
        );
    }
    if (data.power !== undefined) {
      tiles.push(
        tile('Power', powerBadge(data.power), {
          sub: data.power === 'mains' ? 'External supply' : data.power ? 'On stored energy' : null,
        }),
      );
    }
    tiles.push(tile('Battery', batteryMeter(data.bat_pct)));
    tiles.push(tile('Signal', signalBars(data.rssi_dbm)));
    const at = absTime(r.ts);
    const today = at.slice(0, 10) === absTime(Date.now()).slice(0, 10);
    tiles.push(
      tile('Reading time', h('span', { class: 'tile-time', title: at }, at.slice(11)), {
        sub: r.backfill ? badge('warn', 'Backfilled', 'clock') : today ? timeAgo(r.ts) : at.slice(0, 10),
      }),
    );
    // Older than the device's online window: greyed, and the reading time says how old.
    const fresh = staleness(d, Date.now());
    current.classList.toggle('is-stale', fresh?.stale === true);
    if (fresh?.stale)
      tiles.unshift(
        h(
          'div',
          { class: 'stale-note', testid: 'stale-note' },
          icon('clock'),
          ` Last values ${duration(fresh.ageMs / 1000)} old: the device has not reported for over 2.5 of its reporting intervals.`,
        ),
      );
    replace(current, tiles);
  }

  async function renderAlarms(): Promise<void> {
    const open = ctx.store.openAlarms().filter((a) => a.subject === id);
    if (!open.length) {
      replace(alarmsHost);
      return;
    }
    const unacked = open.filter((a) => !a.ack).length;
    replace(
      alarmsHost,
      h(
        'div',
        {
          class: `alert ${unacked ? 'alert-bad' : 'alert-warn'} alarm-strip`,
          role: 'status',
          testid: 'device-alarms',
        },
        icon('alert'),
        h(
          'div',
          null,
          h(
            'strong',
            null,
            unacked
              ? `${open.length} open alarm${open.length > 1 ? 's' : ''}`
              : `${open.length} acknowledged alarm${open.length > 1 ? 's' : ''}, still open`,
          ),
          h(
            'ul',
            null,
            open.map((a) =>
              h(
                'li',
                null,
                a.message ? alarmMessage(a) : a.rule,
                ` · since ${absTime(a.startedAt ?? a.raisedAt)}${a.ack ? ` · acknowledged by ${a.ack.by ?? 'someone'}` : ''}`,
              ),
            ),
          ),
        ),
        h('a', { class: 'btn btn-small', href: '#/alarms' }, 'View alarms'),
      ),
    );
  }

  async function control(action: 'enable' | 'disable'): Promise<void> {
    const ok = await confirmDialog(
      action === 'disable' ? `Disable ${id}?` : `Enable ${id}?`,
      action === 'disable'
        ? 'The device is disconnected and its messages are refused until it is enabled again. This action is audited.'
        : 'The device may connect and send data again. This action is audited.',
      action === 'disable' ? 'Disable' : 'Enable',
      action === 'disable',
      `control-${action}-dialog`,
    );
    if (!ok) return;
    try {
      const r = await api<{ device: DeviceSummary }>(`/devices/${encodeURIComponent(id)}/${action}`, {
        method: 'POST',
        body: {},
      });
      if (device) {
        device.status = r.device.status;
        device.online = r.device.online;
      }
      toast(`${id} ${action === 'disable' ? 'disabled' : 'enabled'}.`, 'ok');
      renderHead();
    } catch (err) {
      toast(describeError(err), 'bad');
    }
  }

  async function loadDevice(): Promise<void> {
    try {
      const r = await api<DeviceDetailView>(`/devices/${encodeURIComponent(id)}`);
      if (stopped) return;
      const known = ctx.store.devices.get(id);
      // Keep the store's object so live updates keep flowing into this page.
      device = known
        ? Object.assign(known, { ...r.device, latest: pickNewer(known.latest, r.latest), alarm: known.alarm })
        : { ...r.device, latest: r.latest, alarm: 'none', expectedIntervalMs: null };
      showOutputs();
    } catch (err) {
      if (stopped) return;
      replace(
        root,
        h('nav', { class: 'breadcrumb' }, h('a', { href: '#/overview' }, 'Fleet')),
        errorBox(describeError(err)),
      );
      return;
    }
    renderHead();
    renderCurrent();
    void renderAlarms();
    void loadTrip();
    if (device) void showLoggerDisplay(displayHost, device, ctx);
    await history.load();
  }

  /** The shipment this logger is on now (in transit, else planned), for the header's link. */
  async function loadTrip(): Promise<void> {
    if (!ctx.can('shipments.read') || device?.profile !== 'vaccine-transport') return;
    try {
      const q = (state: string) =>
        api<{ shipments: ShipmentView[] }>(
          `/shipments?device=${encodeURIComponent(id)}&state=${state}&limit=1`,
        );
      trip = (await q('in_transit')).shipments[0] ?? (await q('planned')).shipments[0] ?? null;
    } catch {
      trip = null; // the header simply has no link
    }
    if (!stopped) renderHead();
  }

  const unsubs = [
    ctx.store.on('reading', (e) => {
      const { deviceId, reading } = e as ReadingEvent;
      if (deviceId !== id || !device) return;
      if (!device.latest || reading.ts >= device.latest.ts) device.latest = reading;
      renderCurrent();
      // The header's state follows the latest reading: never "OK" while it is out of range.
      renderHead();
      history.append(reading);
    }),
    ctx.store.on('devices', () => {
      const known = ctx.store.devices.get(id);
      if (known && device && known !== device)
        Object.assign(device, {
          status: known.status,
          online: known.online,
          lastSeenAt: known.lastSeenAt,
          alarm: known.alarm,
        });
      else if (known) device = known;
      renderHead();
    }),
    ctx.store.on('alarms', () => {
      renderHead();
      void renderAlarms();
    }),
  ];

  renderHead();
  void loadGateways()
    .then(renderHead)
    .catch(() => {});
  renderCurrent();
  void loadDevice();

  return () => {
    stopped = true;
    controlPanel.stop();
    outputsPanel?.stop();
    for (const u of unsubs) u();
    history.destroy();
  };
};

function pickNewer(a: Reading | null, b: Reading | null): Reading | null {
  if (!a) return b;
  if (!b) return a;
  return b.ts >= a.ts ? b : a;
}
