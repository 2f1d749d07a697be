/**
 * The device page's outputs (docs/protocol.md §7.4 `set_output`): each output the device's
 * profile declares with the state the device last reported applying (its ack of `set_output`),
 * and, for a user allowed to command devices (MFA), a control to set it. Refreshed every 2 s.
 */
import { api, describeError } from '../api.ts';
import type { AppContext } from '../context.ts';
import { h, replace } from '../dom.ts';
import { card, emptyState, errorBox, timeAgo, toast } from '../ui/components.ts';

type Kind = 'level' | 'buzzer' | 'relay';
/** As src/protocol/device-outputs.ts declares them. */
const OUTPUTS: Record<string, { name: string; kind: Kind; label: string }[]> = {
  'vaccine-transport': [{ name: 'buzzer', kind: 'buzzer', label: 'Buzzer' }],
  'patient-vitals': [{ name: 'led', kind: 'level', label: 'LED level' }],
  'temperature-probe': [{ name: 'relay', kind: 'relay', label: 'Relay' }],
};

interface Cmd {
  op: string;
  args: Record<string, unknown>;
  state: string;
  outcome: string | null;
  result: Record<string, unknown> | null;
  ackedAt: string | null;
}

export function deviceOutputsPanel(
  ctx: AppContext,
  deviceId: string,
  profile: string,
): { el: HTMLElement; stop(): void } {
  const outputs = OUTPUTS[profile] ?? [];
  const host = h('div', { testid: 'outputs' });
  const el = card('Outputs', host, { testid: 'outputs-card' });
  const canSet = ctx.can('devices.command');
  let stopped = false;
  const controls = new Map<string, HTMLElement>();
  const states = new Map<string, HTMLElement>();

  async function set(name: string, value: number | boolean): Promise<void> {
    try {
      await api(`/devices/${encodeURIComponent(deviceId)}/commands`, {
        method: 'POST',
        body: { op: 'set_output', args: { name, value }, reason: `set ${name} from the dashboard` },
      });
      toast(`${name} → ${String(value)} sent`, 'ok');
    } catch (err) {
      toast(describeError(err), 'bad');
    }
  }

  function control(o: (typeof outputs)[number]): HTMLElement {
    if (o.kind === 'level') {
      const input = h('input', {
        type: 'number',
        min: 0,
        max: 100,
        step: 1,
        value: '50',
        testid: `output-input-${o.name}`,
      }) as HTMLInputElement;
      return h(
        'span',
        { class: 'output-control' },
        input,
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            testid: `output-set-${o.name}`,
            onclick: () =>
              input.checkValidity() && input.value !== ''
                ? void set(o.name, Number(input.value))
                : input.reportValidity(),
          },
          'Set',
        ),
      );
    }
    return h(
      'span',
      { class: 'output-control' },
      h(
        'button',
        {
          type: 'button',
          class: 'btn',
          testid: `output-on-${o.name}`,
          onclick: () => void set(o.name, true),
        },
        'On',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'btn',
          testid: `output-off-${o.name}`,
          onclick: () => void set(o.name, false),
        },
        'Off',
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
            const c = canSet ? control(o) : null;
            if (c) controls.set(o.name, c);
            return h('tr', null, h('th', null, o.label), h('td', null, state), h('td', null, c));
          }),
        ),
      ),
    );

  async function refresh(): Promise<void> {
    if (outputs.length === 0) return;
    try {
      const { commands } = await api<{ commands: Cmd[] }>(
        `/devices/${encodeURIComponent(deviceId)}/commands?limit=200`,
      );
      if (stopped) return;
      for (const o of outputs) {
        // Newest first: the first ok ack for this output is the state the device last applied.
        const last = commands.find(
          (c) => c.op === 'set_output' && c.outcome === 'ok' && c.result?.name === o.name,
        );
        const pending = commands.find(
          (c) =>
            c.op === 'set_output' && (c.state === 'queued' || c.state === 'sent') && c.args.name === o.name,
        );
        const v = last?.result?.value;
        const text =
          v === undefined ? 'not reported yet' : o.kind === 'level' ? `${String(v)} %` : v ? 'on' : 'off';
        replace(
          states.get(o.name) as HTMLElement,
          h('strong', null, text),
          last?.ackedAt
            ? h('span', { class: 'muted small' }, ' reported ', timeAgo(Date.parse(last.ackedAt)))
            : null,
          pending ? h('span', { class: 'muted small' }, ` (setting ${String(pending.args.value)}…)`) : null,
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
