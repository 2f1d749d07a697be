/**
 * The external brokers of the system page's broker card (`broker.external` of
 * `GET /api/v1/system`, the same figures as `/metrics`): each broker's address, whether this
 * process's link to it is up, and Mosquitto's own counters as the backend last read them from
 * `$SYS`: messages the broker dropped (queue or in-flight limit: readings it had acknowledged to a
 * device and then discarded, so any count above 0 is a loss, also raised as an alarm) and what it
 * holds in its store (queued for an ingest session that is away, and retained messages).
 */
import { h } from '../dom.ts';
import { bytes, hostPort, int } from '../format.ts';
import type { SystemStatus } from '../types.ts';
import { badge } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';

type ExternalBroker = SystemStatus['broker']['external'][number];

function droppedCell(x: ExternalBroker): HTMLElement {
  if (x.droppedMessages === null)
    return h(
      'span',
      { class: 'muted small', title: 'Mosquitto publishes $SYS counters every 10 s' },
      'not read yet',
    );
  return x.droppedMessages > 0 ? badge('bad', int(x.droppedMessages), 'alert') : badge('ok', 'none', 'check');
}

function heldCell(x: ExternalBroker): HTMLElement {
  if (x.storedMessages === null) return h('span', { class: 'muted small' }, 'not read yet');
  return h(
    'span',
    null,
    `${int(x.storedMessages)} msg`,
    x.storedBytes === null ? null : h('span', { class: 'muted small' }, ` · ${bytes(x.storedBytes)}`),
  );
}

/** The rows for the broker card: nothing with the embedded broker. */
export function externalBrokersSection(list: readonly ExternalBroker[]): HTMLElement[] {
  if (list.length === 0) return [];
  const dropped = list.filter((x) => (x.droppedMessages ?? 0) > 0);
  const rows: HTMLElement[] = [
    h('h3', { class: 'subhead' }, 'External brokers'),
    h(
      'ul',
      { class: 'plain-list external-brokers', testid: 'system-external-brokers' },
      list.map((x) => {
        const at = hostPort(x.address, x.port);
        return h(
          'li',
          { testid: `external-broker-${at}` },
          h(
            'div',
            { class: 'row gap wrap' },
            h('code', null, at),
            x.connected ? badge('ok', 'Linked', 'check') : badge('bad', 'Not linked', 'alert'),
          ),
          h(
            'div',
            { class: 'row gap wrap small' },
            h('span', { class: 'muted' }, 'Dropped by the broker'),
            droppedCell(x),
            h(
              'span',
              {
                class: 'muted',
                title: "Messages in the broker's store: queued for absent sessions, and retained ones",
              },
              'Held',
            ),
            heldCell(x),
          ),
        );
      }),
    ),
  ];
  if (dropped.length > 0)
    rows.push(
      h(
        'div',
        { class: 'alert alert-bad', role: 'alert', testid: 'external-brokers-dropped' },
        icon('alert'),
        h(
          'span',
          null,
          `${dropped.map((x) => hostPort(x.address, x.port)).join(', ')} dropped messages after acknowledging them to devices (queue or in-flight limit). `,
          'Re-run ',
          h('code', null, 'vigil mosquitto-config'),
          ' with a larger ',
          h('code', null, 'mqtt.external.maxOutageMinutes'),
          ' (or fleetRatePerSec) and restart the broker.',
        ),
      ),
    );
  return rows;
}
