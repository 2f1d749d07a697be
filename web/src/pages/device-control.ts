/**
 * The device page's key and certificate state and its control panel (issue: signed commands):
 * current kid and its age, last rotation, certificate expiry, the firmware version the device
 * reports running (docs/protocol.md §7.5), pending commands, the recent
 * commands with their state (`queued → sent → acked(ok|error) | expired`), and, for operators and
 * admins with MFA, a form to send a command with its reason (audited: who, what, why).
 */
import { api, describeError } from '../api.ts';
import type { AppContext } from '../context.ts';
import { cx, h, replace } from '../dom.ts';
import { absDate, absTime, msOrNull } from '../format.ts';
import {
  badge,
  card,
  confirmDialog,
  emptyState,
  errorBox,
  field,
  type Tone,
  timeAgo,
  toast,
} from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { outputArgs, type Reported } from './device-outputs.ts';
import './shipments.css';
import './lifecycle.css';

interface CommandView {
  id: string;
  op: string;
  args: Record<string, string | number | boolean | null>;
  state: 'queued' | 'sent' | 'acked' | 'expired';
  outcome: 'ok' | 'error' | null;
  error: string | null;
  createdBy: string;
  reason: string | null;
  createdAt: string | null;
  sendCount: number;
}

interface Lifecycle {
  kid: number;
  kidCreatedAt: string | null;
  lastRotation: {
    kid: number;
    state: string;
    startedAt: string | null;
    completedAt: string | null;
    error: string | null;
  } | null;
  certNotAfter: string | null;
  pendingCommands: number;
}

/** The ops an operator may send, with the arguments each takes. */
const OPS: {
  op: string;
  label: string;
  args: { name: string; label: string; min: number; max: number; step?: number }[];
}[] = [
  { op: 'identify', label: 'Identify (blink)', args: [] },
  {
    op: 'set_interval',
    label: 'Set sampling interval',
    args: [{ name: 'seconds', label: 'Seconds', min: 1, max: 86_400 }],
  },
  {
    op: 'set_limits',
    label: 'Set display limits',
    args: [
      { name: 'min_c', label: 'Min °C', min: -100, max: 100, step: 0.1 },
      { name: 'max_c', label: 'Max °C', min: -100, max: 100, step: 0.1 },
    ],
  },
  // Its arguments depend on the profile's outputs (drawn by outputArgs).
  { op: 'set_output', label: 'Set an output', args: [] },
  { op: 'reboot', label: 'Reboot', args: [] },
  { op: 'renew_cert', label: 'Renew certificate', args: [] },
];

function stateBadge(c: CommandView): HTMLElement {
  const [tone, text]: [Tone, string] =
    c.state === 'acked'
      ? c.outcome === 'ok'
        ? ['ok', 'acked (ok)']
        : ['bad', 'acked (error)']
      : c.state === 'expired'
        ? ['off', 'expired']
        : c.state === 'sent'
          ? ['info', 'sent']
          : ['neutral', 'queued'];
  return badge(tone, text, undefined, `command-state-${c.id}`);
}

function argsText(c: CommandView): string {
  if (c.op === 'rotate_key') return `kid ${c.args.kid}`;
  return Object.entries(c.args)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/**
 * Builds the panel for one device; `profile` names its outputs once the page knows it. `stop()`
 * ends its refresh timer.
 */
export function deviceControlPanel(
  ctx: AppContext,
  deviceId: string,
  profile: () => string | undefined,
): { el: HTMLElement; stop(): void } {
  const stateHost = h('dl', { class: 'kv', testid: 'device-lifecycle' });
  const listHost = h('div', { class: 'table-host' });
  const formHost = h('div');
  const el = h(
    'div',
    { class: 'device-control' },
    card('Keys, certificate and firmware', stateHost, { testid: 'lifecycle-card' }),
    card('Commands', [ctx.can('devices.command') ? formHost : null, listHost], { testid: 'commands-card' }),
  );
  let stopped = false;

  async function refresh(): Promise<void> {
    try {
      const [l, list, reported] = await Promise.all([
        api<Lifecycle>(`/devices/${encodeURIComponent(deviceId)}/lifecycle`),
        api<{ commands: CommandView[] }>(`/devices/${encodeURIComponent(deviceId)}/commands?limit=20`),
        // Not served where the store cannot tell (PostgreSQL for now): the rest still shows.
        api<Reported>(`/devices/${encodeURIComponent(deviceId)}/reported`).catch(() => null),
      ]);
      if (stopped) return;
      renderState(l, reported);
      renderList(list.commands);
    } catch (err) {
      if (!stopped) replace(listHost, errorBox(describeError(err)));
    }
  }

  function renderState(l: Lifecycle, reported: Reported | null): void {
    const fw = reported?.firmware ?? null;
    const r = l.lastRotation;
    const certMs = msOrNull(l.certNotAfter);
    const daysLeft = certMs === null ? null : Math.floor((certMs - Date.now()) / 86_400_000);
    replace(
      stateHost,
      h('dt', null, 'Key generation'),
      h(
        'dd',
        { testid: 'lifecycle-kid' },
        `kid ${l.kid}`,
        l.kidCreatedAt ? [' · created ', timeAgo(l.kidCreatedAt)] : null,
      ),
      h('dt', null, 'Last rotation'),
      h(
        'dd',
        { testid: 'lifecycle-rotation' },
        r
          ? [
              badge(
                r.state === 'completed' ? 'ok' : r.state === 'failed' ? 'bad' : 'info',
                `kid ${r.kid} ${r.state}`,
              ),
              ' ',
              r.completedAt ? absTime(r.completedAt) : r.startedAt ? absTime(r.startedAt) : '',
              r.error ? h('span', { class: 'muted small' }, ` — ${r.error}`) : null,
            ]
          : 'never',
      ),
      h('dt', null, 'Certificate'),
      h(
        'dd',
        { testid: 'lifecycle-cert' },
        certMs === null
          ? '—'
          : [
              `valid until ${absDate(certMs)} `,
              badge(
                daysLeft !== null && daysLeft < 0
                  ? 'bad'
                  : daysLeft !== null && daysLeft < 30
                    ? 'warn'
                    : 'ok',
                `${daysLeft} days left`,
              ),
            ],
      ),
      h('dt', null, 'Firmware'),
      h(
        'dd',
        { testid: 'lifecycle-firmware' },
        fw
          ? [h('strong', null, fw.version), ' · reported ', timeAgo(Date.parse(fw.ts))]
          : reported
            ? 'not reported yet'
            : '—',
      ),
      h('dt', null, 'Pending commands'),
      h('dd', { testid: 'lifecycle-pending' }, String(l.pendingCommands)),
    );
  }

  function renderList(list: CommandView[]): void {
    if (!list.length) return void replace(listHost, emptyState('No commands sent to this device yet.'));
    replace(
      listHost,
      h(
        'table',
        { class: 'table table-responsive table-compact', testid: 'command-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Command', 'State', 'By', 'Why', 'Queued'].map((t) => h('th', null, t)),
          ),
        ),
        h(
          'tbody',
          null,
          list.map((c) =>
            h(
              'tr',
              { testid: `command-row-${c.op}` },
              h(
                'td',
                { 'data-label': 'Command' },
                h('strong', null, c.op),
                c.args && argsText(c) ? h('span', { class: 'muted small' }, ` ${argsText(c)}`) : null,
              ),
              h(
                'td',
                { 'data-label': 'State' },
                stateBadge(c),
                c.error ? h('span', { class: 'muted small' }, ` ${c.error}`) : null,
                c.sendCount > 1 ? h('span', { class: 'muted small' }, ` (${c.sendCount} sends)`) : null,
              ),
              h('td', { 'data-label': 'By' }, c.createdBy),
              h('td', { 'data-label': 'Why' }, c.reason ?? '—'),
              h(
                'td',
                { 'data-label': 'Queued', class: 'cell-nowrap' },
                c.createdAt ? timeAgo(c.createdAt) : '—',
              ),
            ),
          ),
        ),
      ),
    );
  }

  function renderForm(): void {
    const opSelect = h(
      'select',
      { testid: 'command-op' },
      OPS.map((o) => h('option', { value: o.op }, o.label)),
    ) as HTMLSelectElement;
    const argsHost = h('div', { class: 'command-args' });
    const reason = h('input', {
      type: 'text',
      maxlength: 500,
      placeholder: 'Why (recorded in the audit log)',
      testid: 'command-reason',
    }) as HTMLInputElement;
    const inputs = new Map<string, HTMLInputElement>();
    /** The arguments of set_output, read when sending (null: not valid, already said why). */
    let readExtra: (() => Record<string, string | number | boolean> | null) | null = null;
    const drawArgs = () => {
      inputs.clear();
      readExtra = null;
      const spec = OPS.find((o) => o.op === opSelect.value) ?? OPS[0];
      if (spec?.op === 'set_output') {
        const o = outputArgs(profile());
        readExtra = o.read;
        return void replace(argsHost, o.fields);
      }
      replace(
        argsHost,
        (spec?.args ?? []).map((a) => {
          const input = h('input', {
            type: 'number',
            min: a.min,
            max: a.max,
            step: a.step ?? 1,
            required: true,
            testid: `command-arg-${a.name}`,
          }) as HTMLInputElement;
          inputs.set(a.name, input);
          return field(a.label, input);
        }),
      );
    };
    opSelect.addEventListener('change', drawArgs);
    drawArgs();
    const send = async () => {
      const op = opSelect.value;
      const args: Record<string, string | number | boolean> = {};
      for (const [name, input] of inputs) {
        if (input.value === '' || !input.checkValidity()) return void toast(`Enter a valid ${name}.`, 'bad');
        args[name] = Number(input.value);
      }
      if (readExtra) {
        const extra = readExtra();
        if (!extra) return;
        Object.assign(args, extra);
      }
      if (!reason.value.trim()) return void toast('Say why: the reason is recorded with the command.', 'bad');
      try {
        await api(`/devices/${encodeURIComponent(deviceId)}/commands`, {
          method: 'POST',
          body: { op, args, reason: reason.value.trim() },
        });
        toast(`${op} queued for ${deviceId}`, 'ok');
        reason.value = '';
        await refresh();
      } catch (err) {
        toast(describeError(err), 'bad');
      }
    };
    const rotate = async () => {
      if (
        !(await confirmDialog(
          'Rotate device key',
          `Agree a new secret (next kid) with ${deviceId} by ECDH? The old key stays valid until the device uses the new one.`,
          'Rotate key',
          false,
          'rotate-key',
        ))
      )
        return;
      try {
        await api(`/devices/${encodeURIComponent(deviceId)}/rotate-key`, {
          method: 'POST',
          body: reason.value.trim() ? { reason: reason.value.trim() } : {},
        });
        toast('Key rotation started', 'ok');
        await refresh();
      } catch (err) {
        toast(describeError(err), 'bad');
      }
    };
    replace(
      formHost,
      h(
        'form',
        {
          class: cx('command-form'),
          testid: 'command-form',
          onsubmit: (e: Event) => {
            e.preventDefault();
            void send();
          },
        },
        field('Command', opSelect),
        argsHost,
        field('Reason', reason),
        h(
          'div',
          { class: 'command-buttons' },
          h(
            'button',
            { type: 'submit', class: 'btn btn-primary', testid: 'command-send' },
            icon('check'),
            'Send command',
          ),
          h(
            'button',
            { type: 'button', class: 'btn', testid: 'rotate-key', onclick: () => void rotate() },
            icon('clock'),
            'Rotate key',
          ),
        ),
      ),
    );
  }

  if (ctx.can('devices.command')) renderForm();
  void refresh();
  const timer = setInterval(() => void refresh(), 3000);
  return {
    el,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
