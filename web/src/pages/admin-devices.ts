/** Admin: devices (add → download its bundle; disable, enable, revoke, delete). */
import { api, describeError } from '../api.ts';
import type { AppContext } from '../context.ts';
import { cx, h, replace } from '../dom.ts';
import { absDate, absTime, humanize } from '../format.ts';
import { PROFILES } from '../profiles.ts';
import type { Device, DeviceSummary } from '../types.ts';
import { badge, card, confirmDialog, emptyState, toast } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { addDeviceDialog } from './admin-device-add.ts';

type Action = 'disable' | 'enable' | 'revoke' | 'delete';

const CONFIRM: Record<Action, [(id: string) => string, string, string]> = {
  disable: [
    (id) => `Disable ${id}?`,
    'The device is disconnected and its messages are refused until it is enabled again. This action is audited.',
    'Disable',
  ],
  enable: [
    (id) => `Enable ${id}?`,
    'The device may connect and send data again. This action is audited.',
    'Enable',
  ],
  revoke: [
    (id) => `Revoke ${id}?`,
    'Its certificates go on the revocation list and it can never connect again. This cannot be undone: a replacement is provisioned under a new id. This action is audited.',
    'Revoke',
  ],
  delete: [
    (id) => `Delete ${id}?`,
    'The device never connected: its registry entry and keys are removed and its certificates revoked. This action is audited.',
    'Delete',
  ],
};

const DONE: Record<Action, string> = {
  disable: 'disabled',
  enable: 'enabled',
  revoke: 'revoked',
  delete: 'deleted',
};

export function devicesTab(host: HTMLElement, ctx: AppContext): () => void {
  const listHost = h('div', { class: 'table-host' });
  const addBtn = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-primary',
      testid: 'device-add',
      onclick: () => void addDeviceDialog(ctx, render),
    },
    icon('plus'),
    'Add device',
  );
  replace(
    host,
    card(
      'Devices',
      [
        h(
          'p',
          { class: 'muted card-intro' },
          'Adding a device issues its client certificate and key material. Download the bundle once and load it onto the device: Vigil keeps no copy of the private key. Disable stops a device for now; revoke ends it for good; a device that never connected can be deleted.',
        ),
        listHost,
      ],
      { actions: addBtn },
    ),
  );

  function render(): void {
    const devices = [...ctx.store.devices.values()].sort((a, b) => a.id.localeCompare(b.id));
    if (!devices.length) return void replace(listHost, emptyState('No devices yet.'));
    replace(
      listHost,
      h(
        'table',
        { class: 'table table-responsive table-compact', testid: 'admin-device-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Device', 'Profile', 'Status', 'Encryption', 'Certificate until', 'Added', 'Actions'].map((t) =>
              h('th', null, t),
            ),
          ),
        ),
        h(
          'tbody',
          null,
          devices.map((d) =>
            h(
              'tr',
              { testid: `admin-device-${d.id}` },
              h(
                'td',
                { 'data-label': 'Device' },
                h('a', { href: `#/device/${encodeURIComponent(d.id)}` }, d.id),
              ),
              h('td', { 'data-label': 'Profile' }, PROFILES[d.profile].label),
              h(
                'td',
                { 'data-label': 'Status' },
                d.status === 'enabled'
                  ? badge('ok', 'Enabled', undefined, `admin-device-status-${d.id}`)
                  : badge(
                      d.status === 'revoked' ? 'bad' : 'off',
                      humanize(d.status),
                      undefined,
                      `admin-device-status-${d.id}`,
                    ),
              ),
              h('td', { 'data-label': 'Encryption' }, h('code', null, d.alg || '–')),
              h('td', { 'data-label': 'Certificate until' }, absDate(d.certNotAfter)),
              h('td', { 'data-label': 'Added' }, absTime(d.createdAt)),
              h('td', { 'data-label': 'Actions' }, h('div', { class: 'row gap wrap' }, actions(d))),
            ),
          ),
        ),
      ),
    );
  }

  /** What may still be done to the device: a revoked one is final, only a never-seen one may go. */
  function actions(d: Device): HTMLElement[] {
    if (d.status === 'revoked') return [h('span', { class: 'muted small' }, 'Revoked: final')];
    const out: HTMLElement[] = [];
    const button = (action: Action, label: string, danger = false) =>
      h(
        'button',
        {
          type: 'button',
          class: cx('btn btn-small', danger && 'btn-danger'),
          testid: `admin-device-${action}-${d.id}`,
          onclick: () => void act(d, action),
        },
        label,
      );
    if (ctx.can('devices.control'))
      out.push(d.status === 'enabled' ? button('disable', 'Disable') : button('enable', 'Enable'));
    out.push(button('revoke', 'Revoke', true));
    // The server refuses to delete a device that delivered anything; offer it only where it can work.
    if (d.lastSeenAt === null && d.latest === null) out.push(button('delete', 'Delete', true));
    return out;
  }

  async function act(d: Device, action: Action): Promise<void> {
    const [title, text, label] = CONFIRM[action];
    if (
      !(await confirmDialog(title(d.id), text, label, action !== 'enable', `admin-device-${action}-dialog`))
    )
      return;
    try {
      if (action === 'delete') {
        await api(`/devices/${encodeURIComponent(d.id)}`, { method: 'DELETE' });
        ctx.store.devices.delete(d.id);
      } else {
        const r = await api<{ device: DeviceSummary }>(`/devices/${encodeURIComponent(d.id)}/${action}`, {
          method: 'POST',
          body: {},
        });
        Object.assign(d, r.device);
      }
      toast(`${d.id} ${DONE[action]}.`, 'ok');
    } catch (err) {
      toast(describeError(err), 'bad');
    }
    render();
  }

  render();
  return ctx.store.on('devices', render);
}
