/**
 * Building blocks of the notification admin: a section that lists one kind (contacts, groups,
 * rules, policies, schedules) with add, edit and delete through the API, and the small inputs the
 * forms share (text, checkboxes, the target editor).
 */
import { api, describeError } from '../api.ts';
import { h, replace } from '../dom.ts';
import { card, confirmDialog, emptyState, errorBox, loading, openDialog, toast } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';

export type Entity = Record<string, unknown> & { id: string; name?: string };

/** What the forms may offer: the other entities, by kind. */
export interface Lookups {
  contacts: Entity[];
  groups: Entity[];
  schedules: Entity[];
  policies: Entity[];
}

export async function loadLookups(): Promise<Lookups> {
  const get = async (path: string) =>
    ((await api<Record<string, Entity[]>>(`/notifications/${path}`))[path] ?? []) as Entity[];
  const [contacts, groups, schedules, policies] = await Promise.all([
    get('contacts'),
    get('groups'),
    get('schedules'),
    get('policies'),
  ]);
  return { contacts, groups, schedules, policies };
}

/** A form: its element and how to read it (throws an Error with a message for bad input). */
export interface EntityForm {
  body: HTMLElement;
  read(): Record<string, unknown>;
}

export interface SectionSpec {
  /** URL segment and response key: `contacts`, `rules`, ... */
  path: string;
  title: string;
  noun: string;
  hint: string;
  columns: string[];
  cells(e: Entity, l: Lookups): (HTMLElement | string)[];
  form(existing: Entity | null, l: Lookups): EntityForm;
  /** Called with the PUT answer (the webhook secret of a new webhook contact). */
  onSaved?(answer: Record<string, unknown>): void;
}

/** A card listing one kind, with add, edit and delete (each audited by the server). */
export function entitySection(host: HTMLElement, spec: SectionSpec): void {
  const tableHost = h('div', { class: 'table-host' });
  const add = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-primary',
      testid: `notify-add-${spec.path}`,
      onclick: () => void edit(null),
    },
    icon('plus'),
    `Add ${spec.noun}`,
  );
  replace(
    host,
    card(spec.title, h('div', null, h('p', { class: 'hint' }, spec.hint), tableHost), { actions: add }),
  );
  let lookups: Lookups = { contacts: [], groups: [], schedules: [], policies: [] };

  async function load(): Promise<void> {
    replace(tableHost, loading());
    try {
      const [r, l] = await Promise.all([
        api<Record<string, Entity[]>>(`/notifications/${spec.path}`),
        loadLookups(),
      ]);
      lookups = l;
      render(r[spec.path] ?? []);
    } catch (err) {
      replace(tableHost, errorBox(describeError(err)));
    }
  }

  function render(list: Entity[]): void {
    if (!list.length) return void replace(tableHost, emptyState(`No ${spec.noun}s yet.`));
    replace(
      tableHost,
      h(
        'table',
        { class: 'table table-responsive', testid: `notify-table-${spec.path}` },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            [...spec.columns, ''].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          null,
          list.map((e) =>
            h(
              'tr',
              { testid: `notify-row-${spec.path}-${e.id}` },
              spec.cells(e, lookups).map((c, i) => h('td', { 'data-label': spec.columns[i] ?? '' }, c)),
              h(
                'td',
                { class: 'col-actions' },
                h('button', { type: 'button', class: 'btn btn-small', onclick: () => void edit(e) }, 'Edit'),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn btn-small btn-danger-outline',
                    onclick: () => void remove(e),
                  },
                  'Delete',
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  async function edit(existing: Entity | null): Promise<void> {
    const form = spec.form(existing, lookups);
    const err = h('div', { class: 'form-error', 'aria-live': 'assertive' });
    const save = h(
      'button',
      { type: 'submit', class: 'btn btn-primary', form: 'notify-form', testid: 'notify-save' },
      'Save',
    );
    await openDialog<boolean>(
      existing ? `Edit ${spec.noun} ${existing.id}` : `Add ${spec.noun}`,
      (close) => {
        const el = h('form', { id: 'notify-form', class: 'form', novalidate: true }, form.body, err);
        el.addEventListener('submit', async (ev) => {
          ev.preventDefault();
          err.replaceChildren();
          let body: Record<string, unknown>;
          try {
            body = form.read();
          } catch (e) {
            return void err.append(errorBox((e as Error).message));
          }
          const id = String(body.id ?? '');
          if (!/^[a-z0-9][a-z0-9-]{0,47}$/.test(id))
            return void err.append(errorBox('The id is 1-48 lower-case letters, digits and dashes.'));
          save.disabled = true;
          try {
            const { id: _, ...rest } = body;
            const r = await api<Record<string, unknown>>(`/notifications/${spec.path}/${id}`, {
              method: 'PUT',
              body: rest,
            });
            toast(`${spec.noun[0]?.toUpperCase()}${spec.noun.slice(1)} saved.`, 'ok');
            close(true);
            spec.onSaved?.(r);
            void load();
          } catch (e) {
            save.disabled = false;
            err.append(errorBox(describeError(e)));
          }
        });
        return {
          body: el,
          footer: [
            h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
            save,
          ],
        };
      },
      { testid: 'notify-dialog', wide: true },
    );
  }

  async function remove(e: Entity): Promise<void> {
    const ok = await confirmDialog(`Delete ${spec.noun} ${e.id}?`, 'This change is audited.', 'Delete', true);
    if (!ok) return;
    try {
      await api(`/notifications/${spec.path}/${e.id}`, { method: 'DELETE' });
      toast(`Deleted ${e.id}.`, 'ok');
      void load();
    } catch (err) {
      toast(describeError(err), 'bad');
    }
  }

  void load();
}

// ------------------------------------------------------------------ inputs

export function text(
  value: unknown,
  attrs: Record<string, string | number | boolean> = {},
): HTMLInputElement {
  const i = h('input', { type: 'text', ...attrs });
  i.value = typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  return i;
}

/** `a, b ,c` → `['a','b','c']` (empty → undefined, so the field is left out). */
export function list(i: HTMLInputElement | HTMLTextAreaElement): string[] | undefined {
  const v = i.value
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter(Boolean);
  return v.length ? v : undefined;
}

export function opt(i: HTMLInputElement): string | undefined {
  return i.value.trim() || undefined;
}

/** A row of checkboxes; `read()` gives the checked values. */
export function checks(
  options: { value: string; label: string }[],
  checked: readonly unknown[],
  testid?: string,
) {
  const boxes = options.map((o) => {
    const b = h('input', {
      type: 'checkbox',
      value: o.value,
      testid: testid ? `${testid}-${o.value}` : undefined,
    });
    b.checked = checked.includes(o.value);
    return { o, b };
  });
  return {
    el: h(
      'div',
      { class: 'check-row' },
      boxes.map(({ o, b }) => h('label', { class: 'check' }, b, h('span', null, o.label))),
    ),
    read: () => boxes.filter(({ b }) => b.checked).map(({ o }) => o.value),
  };
}

export function select(
  options: { value: string; label: string }[],
  value: unknown,
  testid?: string,
): HTMLSelectElement {
  const s = h(
    'select',
    { testid },
    options.map((o) => h('option', { value: o.value }, o.label)),
  );
  if (typeof value === 'string') s.value = value;
  return s;
}

export const CHANNEL_OPTIONS = [
  { value: 'email', label: 'E-mail' },
  { value: 'sms', label: 'SMS' },
  { value: 'voice', label: 'Voice call' },
  { value: 'webhook', label: 'Webhook' },
  { value: 'push', label: 'Browser' },
];

interface Target {
  type: string;
  id: string;
  channels: string[];
}

/** Rows of "who (contact, group, on-call schedule) through which channels". */
export function targetEditor(initial: Target[], l: Lookups, testid = 'targets') {
  const rows: { el: HTMLElement; read: () => Target | null }[] = [];
  const host = h('div', { class: 'target-rows' });
  const whoOptions = [
    ...l.schedules.map((s) => ({ value: `schedule:${s.id}`, label: `On call: ${s.name ?? s.id}` })),
    ...l.groups.map((g) => ({ value: `group:${g.id}`, label: `Group: ${g.name ?? g.id}` })),
    ...l.contacts.map((c) => ({ value: `contact:${c.id}`, label: `${c.name ?? c.id}` })),
  ];
  const addRow = (t: Target | null) => {
    const who = select(
      whoOptions,
      t ? `${t.type}:${t.id}` : whoOptions[0]?.value,
      `${testid}-who-${rows.length}`,
    );
    const ch = checks(CHANNEL_OPTIONS, t?.channels ?? ['email'], `${testid}-ch-${rows.length}`);
    const row = { el: h('div', { class: 'target-row' }), read: (): Target | null => null };
    row.read = () => {
      if (!row.el.isConnected && !host.contains(row.el)) return null;
      const [type = '', id = ''] = who.value.split(':');
      return { type, id, channels: ch.read() };
    };
    const del = h(
      'button',
      { type: 'button', class: 'btn btn-small', onclick: () => row.el.remove() },
      icon('x'),
      'Remove',
    );
    row.el.append(who, ch.el, del);
    rows.push(row);
    host.append(row.el);
  };
  for (const t of initial) addRow(t);
  if (initial.length === 0) addRow(null);
  const addBtn = h(
    'button',
    { type: 'button', class: 'btn btn-small', onclick: () => addRow(null) },
    icon('plus'),
    'Add recipient',
  );
  return {
    el: h('div', null, host, addBtn),
    read: (): Target[] => {
      const out = rows
        .filter((r) => host.contains(r.el))
        .map((r) => r.read())
        .filter((t): t is Target => t !== null && t.id !== '');
      if (whoOptions.length === 0) throw new Error('Add a contact first.');
      if (out.some((t) => t.channels.length === 0))
        throw new Error('Choose at least one channel for each recipient.');
      if (out.length === 0) throw new Error('Add at least one recipient.');
      return out;
    },
  };
}
