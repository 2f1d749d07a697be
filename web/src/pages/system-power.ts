/** The power card of the system page: the host UPS (NUT) and the devices' power and runtimes. */
import { h } from '../dom.ts';
import { absTime } from '../format.ts';
import type { SystemStatus } from '../types.ts';
import { badge, batteryMeter, card } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { line, span, timeAgoText } from './system-continuity.ts';

/** The host UPS and the devices' power. */
export function powerCard(s: SystemStatus): HTMLElement {
  const ups = s.power?.ups ?? null;
  const dp = s.power?.devices;
  const el = card(
    [icon('power'), ' Power'],
    [
      h('h3', { class: 'subhead' }, 'Host UPS'),
      !ups
        ? h('p', { class: 'muted' }, 'Not configured (power.nut).')
        : h(
            'ul',
            { class: 'plain-list', testid: 'ups-detail' },
            line('UPS', h('code', null, `${ups.ups}@${ups.host}:${ups.port}`)),
            line(
              'State',
              !ups.reachable
                ? badge('warn', 'Unreachable', 'alert')
                : ups.lowBattery
                  ? badge('bad', 'Low battery: shutting down', 'alert')
                  : ups.onBattery
                    ? badge('warn', `On battery since ${absTime(ups.onBatterySince)}`, 'power')
                    : badge('ok', 'On line', 'check'),
            ),
            line('Charge', ups.chargePct !== null ? `${ups.chargePct} %` : '–'),
            line('Runtime', ups.runtimeS !== null ? span(ups.runtimeS * 1000) : '–'),
            line('Read', ups.lastPollAt ? timeAgoText(ups.lastPollAt) : '–'),
          ),
      h('h3', { class: 'subhead' }, 'Devices'),
      dp
        ? h(
            'p',
            { testid: 'device-power-counts' },
            badge('ok', `${dp.counts.mains} on mains`),
            ' ',
            badge(dp.counts.battery ? 'warn' : 'neutral', `${dp.counts.battery} on battery`),
            ' ',
            badge(dp.counts.backup ? 'warn' : 'neutral', `${dp.counts.backup} on backup`),
            ' ',
            badge('neutral', `${dp.counts.unknown} unknown`),
          )
        : null,
      dp?.shipmentWarnings.length
        ? h(
            'ul',
            { class: 'plain-list', testid: 'shipment-power-warnings' },
            dp.shipmentWarnings.map((w) =>
              h(
                'li',
                null,
                badge('bad', 'Logger runs out before arrival', 'alert'),
                ' ',
                h('a', { href: `#/shipment/${encodeURIComponent(w.shipmentId)}` }, w.shipmentId),
                ` (${w.deviceId}): empty ${absTime(w.emptyAt)}, planned arrival ${absTime(w.plannedArrival)}`,
              ),
            ),
          )
        : null,
      dp?.devices.some((x) => x.runtimeHours !== null)
        ? h(
            'table',
            { class: 'table table-compact', testid: 'device-runtimes' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Device', 'Battery', 'Discharge', 'Runtime'].map((t) => h('th', null, t)),
              ),
            ),
            h(
              'tbody',
              null,
              dp.devices
                .filter((x) => x.runtimeHours !== null)
                .map((x) =>
                  h(
                    'tr',
                    null,
                    h('td', null, h('a', { href: `#/device/${encodeURIComponent(x.id)}` }, x.id)),
                    h('td', null, batteryMeter(x.batPct)),
                    h('td', null, `${x.slopePctPerHour} %/h`),
                    h('td', null, `${x.runtimeHours} h`),
                  ),
                ),
            ),
          )
        : null,
    ],
    { testid: 'system-power' },
  );
  el.id = 'system-power';
  return el;
}
