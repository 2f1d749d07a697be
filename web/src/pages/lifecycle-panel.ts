/**
 * The system page's key and certificate lifecycle: the fleet's rotation and expiry status (due,
 * overdue, failing), provisioning claims (pending ones approved here by an admin with MFA), and
 * quarantined identities (valid TLS, unknown to Vigil) with their counts.
 */
import { api, describeError } from '../api.ts';
import type { AppContext } from '../context.ts';
import { h, replace } from '../dom.ts';
import { absDate } from '../format.ts';
import {
  badge,
  card,
  emptyState,
  errorBox,
  field,
  openDialog,
  statCard,
  timeAgo,
  toast,
} from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import './lifecycle.css';

interface FleetLifecycle {
  rotation: { due: number; overdue: number; failing: number; inProgress: number; periodDays: number };
  certificates: {
    due: number;
    overdue: number;
    failing: number;
    soonestExpiry: { deviceId: string; notAfter: string } | null;
    renewBeforeDays: number;
  };
}

interface ClaimList {
  claims: {
    serial: string;
    batch: string;
    profile: string;
    state: string;
    deviceId: string | null;
    attempts: number;
    receivedAt: string | null;
  }[];
  quarantine: {
    cn: string;
    certSerial: string;
    attempts: number;
    lastSeen: string | null;
    lastAddress: string | null;
  }[];
}

export function lifecyclePanel(ctx: AppContext): { el: HTMLElement; stop(): void } {
  const fleetHost = h('div', { class: 'lifecycle-stats', testid: 'fleet-lifecycle' });
  const claimsHost = h('div', { class: 'table-host', testid: 'claims' });
  const el = h(
    'div',
    null,
    card('Keys and certificates', fleetHost, { testid: 'lifecycle-fleet-card' }),
    ctx.can('claims.read') ? card('Provisioning claims', claimsHost, { testid: 'claims-card' }) : null,
  );
  let stopped = false;

  async function refresh(): Promise<void> {
    try {
      const f = await api<FleetLifecycle>('/system/lifecycle');
      if (stopped) return;
      const r = f.rotation;
      const c = f.certificates;
      const soon = c.soonestExpiry;
      replace(
        fleetHost,
        statCard(
          'Key rotation',
          `${r.overdue} overdue`,
          r.overdue || r.failing ? 'bad' : r.due ? 'warn' : 'ok',
          'shield',
          `${r.due} due · ${r.failing} failing · ${r.inProgress} in progress (every ${r.periodDays} days)`,
          'rotation-status',
        ),
        statCard(
          'Device certificates',
          `${c.overdue} expired`,
          c.overdue || c.failing ? 'bad' : c.due ? 'warn' : 'ok',
          'clock',
          `${c.due} due for renewal · ${c.failing} failing (renewed ${c.renewBeforeDays} days before expiry)`,
          'cert-status',
        ),
        statCard(
          'Soonest expiry',
          soon ? absDate(soon.notAfter) : '—',
          'info',
          'clock',
          soon
            ? h('a', { href: `#/device/${encodeURIComponent(soon.deviceId)}` }, soon.deviceId)
            : 'no device certificates',
          'soonest-expiry',
        ),
      );
      if (ctx.can('claims.read')) renderClaims(await api<ClaimList>('/claims'));
    } catch (err) {
      if (!stopped) replace(fleetHost, errorBox(describeError(err)));
    }
  }

  function renderClaims(l: ClaimList): void {
    if (stopped) return;
    const rows = [...l.claims].sort(
      (a, b) => (a.state === 'pending' ? -1 : 0) - (b.state === 'pending' ? -1 : 0),
    );
    replace(
      claimsHost,
      rows.length === 0
        ? emptyState(
            'No claims yet.',
            'Devices with a claim certificate appear here when they ask to be provisioned.',
          )
        : h(
            'table',
            { class: 'table table-responsive table-compact', testid: 'claims-table' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Serial', 'Batch', 'Profile', 'State', 'Tries', 'Received', ''].map((t) => h('th', null, t)),
              ),
            ),
            h(
              'tbody',
              null,
              rows.map((c) =>
                h(
                  'tr',
                  { testid: `claim-row-${c.serial}` },
                  h('td', { 'data-label': 'Serial' }, h('strong', null, c.serial)),
                  h('td', { 'data-label': 'Batch' }, c.batch),
                  h('td', { 'data-label': 'Profile' }, c.profile),
                  h(
                    'td',
                    { 'data-label': 'State' },
                    badge(c.state === 'pending' ? 'warn' : c.state === 'approved' ? 'ok' : 'bad', c.state),
                    c.deviceId ? h('span', { class: 'muted small' }, ` ${c.deviceId}`) : null,
                  ),
                  h('td', { 'data-label': 'Tries', class: 'num' }, String(c.attempts)),
                  h('td', { 'data-label': 'Received', class: 'cell-nowrap' }, timeAgo(c.receivedAt)),
                  h(
                    'td',
                    null,
                    c.state === 'pending' && ctx.can('claims.approve')
                      ? h(
                          'button',
                          {
                            type: 'button',
                            class: 'btn btn-primary',
                            testid: `claim-approve-${c.serial}`,
                            onclick: () => void approve(c.serial),
                          },
                          icon('check'),
                          'Approve',
                        )
                      : null,
                  ),
                ),
              ),
            ),
          ),
      l.quarantine.length
        ? h(
            'div',
            { testid: 'quarantine' },
            h('h3', null, 'Quarantined identities'),
            h(
              'p',
              { class: 'muted small' },
              'Valid TLS certificates from this CA that Vigil does not know; each attempt is refused.',
            ),
            h(
              'table',
              { class: 'table table-compact' },
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  ['Identity', 'Attempts', 'Last seen'].map((t) => h('th', null, t)),
                ),
              ),
              h(
                'tbody',
                null,
                l.quarantine.map((q) =>
                  h(
                    'tr',
                    null,
                    h('td', null, q.cn),
                    h('td', { class: 'num' }, String(q.attempts)),
                    h('td', null, timeAgo(q.lastSeen)),
                  ),
                ),
              ),
            ),
          )
        : null,
    );
  }

  async function approve(serial: string): Promise<void> {
    const input = h('input', {
      type: 'text',
      required: true,
      pattern: '[a-z0-9][a-z0-9\\-]{2,63}',
      value: serial.toLowerCase().replace(/[^a-z0-9-]/g, '-'),
      testid: 'claim-device-id',
    }) as HTMLInputElement;
    const deviceId = await openDialog<string>(
      `Approve claim ${serial}`,
      (close) => ({
        body: [
          h('p', null, 'The device gets its own certificate with this id and derives its secret by ECDH.'),
          field('Device id', input, 'Lowercase letters, digits and dashes (3 to 64).'),
        ],
        footer: [
          h('button', { type: 'button', class: 'btn', onclick: () => close(null) }, 'Cancel'),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-primary',
              testid: 'claim-approve-confirm',
              onclick: () => (input.checkValidity() ? close(input.value) : input.reportValidity()),
            },
            'Approve',
          ),
        ],
      }),
      { testid: 'claim-approve-dialog' },
    );
    if (!deviceId) return;
    try {
      await api(`/claims/${encodeURIComponent(serial)}/approve`, { method: 'POST', body: { deviceId } });
      toast(`Claim ${serial} approved as ${deviceId}`, 'ok');
      await refresh();
    } catch (err) {
      toast(describeError(err), 'bad');
    }
  }

  void refresh();
  const timer = setInterval(() => void refresh(), 5000);
  return {
    el,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
