/**
 * The device page's outputs (docs/protocol.md §7.4 `set_output`): each output the device's
 * profile declares (src/protocol/device-outputs.ts) with the state the device last reported in
 * its `output` events, the `set_output` commands still on their way, and, for a user allowed to
 * command devices (MFA), a control to set it. Refreshed every 2 s.
 */
import { type OutputDecl, PROFILE_OUTPUTS } from '../../../src/protocol/device-outputs.ts';
import { api, describeError } from '../api.ts';
import type { AppContext } from '../context.ts';
import { h, replace } from '../dom.ts';
import { card, emptyState, errorBox, field, timeAgo, toast } from '../ui/components.ts';

/** `GET /api/v1/devices/{id}/reported` (src/api/routes/device-reports.ts). */
export interface Reported {
  firmware: { version: string; ts: string; receivedAt: string } | null;
  outputs: { name: string; value: number | boolean | null; ts: string | null }[];
}

interface Cmd {
  op: string;
  args: Record<string, unknown>;
  state: string;
}

const declsOf = (profile: string | undefined): readonly OutputDecl[] =>
  profile !== undefined && Object.hasOwn(PROFILE_OUTPUTS, profile)
    ? PROFILE_OUTPUTS[profile as keyof typeof PROFILE_OUTPUTS]
    : [];

const valueText = (o: OutputDecl, v: unknown) => (o.kind === 'level' ? `${String(v)} %` : v ? 'on' : 'off');

/**
 * The fields of a `set_output` command for the Commands card: which output, and a value of its
 * kind; `read` returns the arguments, or null after telling the user what is wrong.
 */
export function outputArgs(profile: string | undefined): {
  fields: HTMLElement[];
  read(): { name: string; value: number | boolean } | null;
} {
  const decls = declsOf(profile);
  if (decls.length === 0) {
    return {
      fields: [h('p', { class: 'muted small' }, 'This device declares no outputs.')],
      read() {
        toast('This device declares no outputs.', 'bad');
        return null;
      },
    };
  }
  const which = h(
    'select',
    { testid: 'command-arg-name' },
    decls.map((o) => h('option', { value: o.name }, o.label)),
  ) as HTMLSelectElement;
  const level = h('input', {
    type: 'number',
    min: 0,
    max: 100,
    step: 1,
    required: true,
    testid: 'command-arg-value',
  }) as HTMLInputElement;
  const onOff = h(
    'select',
    { testid: 'command-arg-state' },
    h('option', { value: 'true' }, 'On'),
    h('option', { value: 'false' }, 'Off'),
  ) as HTMLSelectElement;
  const valueHost = h('span');
  const decl = () => decls.find((o) => o.name === which.value) ?? (decls[0] as OutputDecl);
  const drawValue = () =>
    replace(valueHost, decl().kind === 'level' ? field('Level 0–100', level) : field('State', onOff));
  which.addEventListener('change', drawValue);
  drawValue();
  return {
    fields: [field('Output', which), valueHost],
    read() {
      const o = decl();
      if (o.kind !== 'level') return { name: o.name, value: onOff.value === 'true' };
      if (level.value === '' || !level.checkValidity()) {
        toast('Enter a level from 0 to 100.', 'bad');
        return null;
      }
      return { name: o.name, value: Number(level.value) };
    },
  };
}

export function deviceOutputsPanel(
  ctx: AppContext,
  deviceId: string,
  profile: string,
): { el: HTMLElement; stop(): void } {
  const outputs = declsOf(profile);
  const host = h('div', { testid: 'outputs' });
  const el = card('Outputs', host, { testid: 'outputs-card' });
  const canSet = ctx.can('devices.command');
  let stopped = false;
  const states = new Map<string, HTMLElement>();

  async function set(name: string, value: number | boolean): Promise<void> {
    try {
      await api(`/devices/${encodeURIComponent(deviceId)}/commands`, {
        method: 'POST',
        body: { op: 'set_output', args: { name, value }, reason: `set ${name} from the dashboard` },
      });
      toast(`${name} → ${String(value)} sent`, 'ok');
      void refresh();
    } catch (err) {
      toast(describeError(err), 'bad');
    }
  }

  const button = (testid: string, text: string, onclick: () => void) =>
    h('button', { type: 'button', class: 'btn', testid, onclick }, text);

  function control(o: OutputDecl): HTMLElement {
    if (o.kind !== 'level') {
      return h(
        'span',
        { class: 'output-control' },
        button(`output-on-${o.name}`, 'On', () => void set(o.name, true)),
        button(`output-off-${o.name}`, 'Off', () => void set(o.name, false)),
      );
    }
    const input = h('input', {
      type: 'number',
      min: 0,
      max: 100,
      step: 1,
      value: '50',
      'aria-label': `${o.label} (0–100)`,
      testid: `output-input-${o.name}`,
    }) as HTMLInputElement;
    return h(
      'span',
      { class: 'output-control' },
      input,
      button(`output-set-${o.name}`, 'Set', () =>
        input.checkValidity() && input.value !== ''
          ? void set(o.name, Number(input.value))
          : input.reportValidity(),
      ),
    );
  }

  if (outputs.length === 0) replace(host, emptyState('This profile declares no outputs.'));
  else
    replace(
      host,
      h(
        'table',
        { class: 'table table-compact' },
        h(
          'tbody',
          null,
          outputs.map((o) => {
            const state = h('span', { testid: `output-state-${o.name}` }, '—');
            states.set(o.name, state);
            return h(
              'tr',
              null,
              h('th', null, o.label),
              h('td', null, state),
              h('td', null, canSet ? control(o) : null),
            );
          }),
        ),
      ),
    );

  async function refresh(): Promise<void> {
    if (outputs.length === 0) return;
    try {
      const id = encodeURIComponent(deviceId);
      const [reported, { commands }] = await Promise.all([
        // Not served where the store cannot tell (PostgreSQL for now): controls still work.
        api<Reported>(`/devices/${id}/reported`).catch(() => null),
        api<{ commands: Cmd[] }>(`/devices/${id}/commands?limit=50`),
      ]);
      if (stopped) return;
      for (const o of outputs) {
        const r = reported?.outputs.find((x) => x.name === o.name);
        // Newest first: a set_output not yet acknowledged is on its way to the device.
        const pending = commands.find(
          (c) =>
            c.op === 'set_output' && (c.state === 'queued' || c.state === 'sent') && c.args.name === o.name,
        );
        replace(
          states.get(o.name) as HTMLElement,
          h(
            'strong',
            null,
            !reported ? 'state not available' : r?.value == null ? 'not reported yet' : valueText(o, r.value),
          ),
          r?.ts ? h('span', { class: 'muted small' }, ' reported ', timeAgo(Date.parse(r.ts))) : null,
          pending
            ? h('span', { class: 'muted small' }, ` (setting ${valueText(o, pending.args.value)}…)`)
            : null,
        );
      }
    } catch (err) {
      if (!stopped) replace(host, errorBox(describeError(err)));
    }
  }

  void refresh();
  const timer = setInterval(() => void refresh(), 2000);
  return {
    el,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
