import { copyText, h } from '../dom.ts';
import { ROLES } from '../types.ts';
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
