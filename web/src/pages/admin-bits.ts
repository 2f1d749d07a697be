import { api, describeError } from '../api.ts';
import { copyText, h, replace } from '../dom.ts';
import { ROLES } from '../types.ts';
import { confirmDialog, errorBox, loading, toast } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';

const ROLE_HELP: Record<string, string> = {
  admin: 'Runs the installation: users, tokens, devices',
  operator: 'Runs the fleet: devices and alarms',
  quality: 'Acknowledges alarms, decides on shipments',
  receiver: 'Confirms deliveries',
  viewer: 'Reads operational data',
  auditor: 'Reads everything including the audit log',
};

/** A secret shown once, with copy and a warning. */
export function shownOnce(label: string, secret: string, testid: string): HTMLElement {
  const btn = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      onclick: async () => {
        btn.textContent = (await copyText(secret)) ? 'Copied' : 'Select and copy';
      },
    },
    icon('copy'),
    'Copy',
  );
  return h(
    'div',
    { class: 'once' },
    h('div', { class: 'once-label' }, label),
    h('div', { class: 'once-row' }, h('code', { class: 'once-secret', testid }, secret), btn),
    h('p', { class: 'hint' }, icon('alert'), ' Shown only now. Vigil stores only a hash of it.'),
  );
}

export function roleSelect(): HTMLSelectElement {
  return h(
    'select',
    { testid: 'role-select' },
    ROLES.map((r) => h('option', { value: r }, `${r} — ${ROLE_HELP[r]}`)),
  );
}

/** Loads a list into `host` (a spinner meanwhile, the reason on failure) and hands it to `render`. */
export async function loadList<T>(
  host: HTMLElement,
  path: string,
  pick: (answer: Record<string, T[] | undefined>) => T[] | undefined,
  render: (items: T[]) => void,
): Promise<void> {
  replace(host, loading());
  try {
    render(pick(await api<Record<string, T[] | undefined>>(path)) ?? []);
  } catch (err) {
    replace(host, errorBox(describeError(err)));
  }
}

/** A small button that asks first, then runs the request, says so, and reloads. */
export function confirmedAction(o: {
  label: string;
  title: string;
  text: string;
  danger: boolean;
  testid: string;
  run: () => Promise<unknown>;
  doneText: string;
  after: () => void;
}): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: o.danger ? 'btn btn-small btn-danger-outline' : 'btn btn-small',
      testid: o.testid,
      onclick: async () => {
        if (!(await confirmDialog(o.title, o.text, o.label, o.danger))) return;
        try {
          await o.run();
          toast(o.doneText, 'ok');
          o.after();
        } catch (err) {
          toast(describeError(err), 'bad');
        }
      },
    },
    o.label,
  );
}
