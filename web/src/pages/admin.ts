/**
 * Administration (admin role): users (add with a role → one-time password shown once, disable,
 * enable, reset MFA, end sessions), API tokens (create → shown once, list, revoke) and devices
 * (add → download its bundle: separate files or one JSON). Every action here needs a completed
 * second factor and is audited by the server.
 */
import { api, describeError } from '../api.ts';
import type { AppContext, Page } from '../context.ts';
import { copyText, download, h, replace } from '../dom.ts';
import { absDate, absTime, humanize } from '../format.ts';
import { normDevice } from '../normalize.ts';
import { PROFILES } from '../profiles.ts';
import { type ApiTokenView, PROFILE_NAMES, ROLES, type UserView } from '../types.ts';
import {
  badge,
  card,
  confirmDialog,
  emptyState,
  errorBox,
  field,
  loading,
  openDialog,
  pageHeader,
  timeAgo,
  toast,
} from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { notificationsTab } from './admin-notifications.ts';

type Tab = 'users' | 'tokens' | 'devices' | 'notifications';
const TABS: { tab: Tab; label: string; perm: string }[] = [
  { tab: 'users', label: 'Users', perm: 'users.manage' },
  { tab: 'tokens', label: 'API tokens', perm: 'tokens.manage' },
  { tab: 'devices', label: 'Devices', perm: 'devices.manage' },
  { tab: 'notifications', label: 'Notifications', perm: 'notifications.manage' },
];

const ROLE_HELP: Record<string, string> = {
  admin: 'Runs the installation: users, tokens, devices',
  operator: 'Runs the fleet: devices and alarms',
  quality: 'Acknowledges alarms, decides on shipments',
  receiver: 'Confirms deliveries',
  viewer: 'Reads operational data',
  auditor: 'Reads everything including the audit log',
};

export const adminPage: Page = (root, ctx, params) => {
  const tabs = TABS.filter((t) => ctx.can(t.perm));
  const tab: Tab =
    tabs.find((t) => t.tab === params.sub || t.tab === params.id)?.tab ?? tabs[0]?.tab ?? 'users';
  const host = h('div');
  replace(
    root,
    pageHeader(
      'Admin',
      'Accounts, machine access and device provisioning. Every change is recorded in the audit log.',
    ),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Admin sections' },
      tabs.map((t) =>
        h(
          'a',
          {
            href: `#/admin/${t.tab}`,
            class: t.tab === tab ? 'tab active' : 'tab',
            'aria-current': t.tab === tab ? 'page' : undefined,
            testid: `admin-tab-${t.tab}`,
          },
          t.label,
        ),
      ),
    ),
    host,
  );
  if (tab === 'users') usersTab(host, ctx);
  else if (tab === 'tokens') tokensTab(host);
  else if (tab === 'notifications') notificationsTab(host);
  else return devicesTab(host, ctx);
  return undefined;
};

/** A secret shown once, with copy and a warning. */
function shownOnce(label: string, secret: string, testid: string): HTMLElement {
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

function roleSelect(): HTMLSelectElement {
  return h(
    'select',
    { testid: 'role-select' },
    ROLES.map((r) => h('option', { value: r }, `${r} — ${ROLE_HELP[r]}`)),
  );
}

// ---------------------------------------------------------------- users
function usersTab(host: HTMLElement, ctx: AppContext): void {
  const tableHost = h('div', { class: 'table-host' });
  const addBtn = h(
    'button',
    { type: 'button', class: 'btn btn-primary', testid: 'user-add', onclick: () => void addUser() },
    icon('plus'),
    'Add user',
  );
  replace(host, card('Users', tableHost, { actions: addBtn }));

  async function load(): Promise<void> {
    replace(tableHost, loading());
    try {
      const r = await api<{ users: UserView[] }>('/users');
      render(r.users ?? []);
    } catch (err) {
      replace(tableHost, errorBox(describeError(err)));
    }
  }

  function render(users: UserView[]): void {
    if (!users.length) return void replace(tableHost, emptyState('No users.'));
    replace(
      tableHost,
      h(
        'table',
        { class: 'table table-responsive', testid: 'user-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['User', 'Role', 'Status', 'Second factor', 'Last sign-in', ''].map((t) => h('th', null, t)),
          ),
        ),
        h(
          'tbody',
          null,
          users.map((u) =>
            h(
              'tr',
              { testid: `user-row-${u.name}` },
              h(
                'td',
                { 'data-label': 'User' },
                h('strong', null, u.name),
                u.name === ctx.me.name ? h('span', { class: 'muted small' }, ' (you)') : null,
              ),
              h('td', { 'data-label': 'Role' }, h('span', { class: 'role-chip role-chip-light' }, u.role)),
              h(
                'td',
                { 'data-label': 'Status' },
                u.status === 'disabled'
                  ? badge('off', 'Disabled', 'power')
                  : u.mustChangePassword
                    ? badge('warn', 'Awaiting first sign-in', 'clock')
                    : badge('ok', 'Active'),
              ),
              h(
                'td',
                { 'data-label': 'Second factor' },
                u.mfaEnrolled
                  ? badge('ok', `TOTP · ${u.recoveryCodesLeft} recovery codes`, 'shield')
                  : badge('warn', 'Not enrolled', 'alert'),
              ),
              h(
                'td',
                { 'data-label': 'Last sign-in' },
                u.lastLoginAt ? timeAgo(u.lastLoginAt) : h('span', { class: 'muted' }, 'never'),
              ),
              h(
                'td',
                { class: 'col-actions' },
                h(
                  'div',
                  { class: 'row gap wrap' },
                  u.status === 'disabled'
                    ? action(
                        'Enable',
                        `/users/${u.name}/enable`,
                        'POST',
                        `Enable ${u.name}?`,
                        'The user can sign in again.',
                        false,
                        `user-enable-${u.name}`,
                      )
                    : action(
                        'Disable',
                        `/users/${u.name}/disable`,
                        'POST',
                        `Disable ${u.name}?`,
                        'The user is signed out everywhere and cannot sign in until enabled.',
                        true,
                        `user-disable-${u.name}`,
                      ),
                  action(
                    'Reset MFA',
                    `/users/${u.name}/reset-mfa`,
                    'POST',
                    `Reset the second factor of ${u.name}?`,
                    'Their authenticator and recovery codes stop working; they enrol again at next sign-in.',
                    true,
                    `user-reset-mfa-${u.name}`,
                  ),
                  action(
                    'End sessions',
                    `/users/${u.name}/sessions`,
                    'DELETE',
                    `End every session of ${u.name}?`,
                    'They are signed out on every device and browser.',
                    false,
                    `user-end-sessions-${u.name}`,
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  function action(
    label: string,
    path: string,
    method: 'POST' | 'DELETE',
    title: string,
    text: string,
    danger: boolean,
    testid: string,
  ) {
    return h(
      'button',
      {
        type: 'button',
        class: danger ? 'btn btn-small btn-danger-outline' : 'btn btn-small',
        testid,
        onclick: async () => {
          if (!(await confirmDialog(title, text, label, danger))) return;
          try {
            await api(path, { method, body: method === 'POST' ? {} : undefined });
            toast(`${label}: done.`, 'ok');
            void load();
          } catch (err) {
            toast(describeError(err), 'bad');
          }
        },
      },
      label,
    );
  }

  async function addUser(): Promise<void> {
    await openDialog<boolean>(
      'Add user',
      (close) => {
        const name = h('input', {
          type: 'text',
          autocomplete: 'off',
          autocapitalize: 'none',
          spellcheck: 'false',
          pattern: '[a-z][a-z0-9._-]{2,31}',
          required: true,
          testid: 'user-name',
        });
        const role = roleSelect();
        role.value = 'viewer';
        const err = h('div', { class: 'form-error' });
        const submit = h(
          'button',
          { type: 'submit', class: 'btn btn-primary', form: 'user-form', testid: 'user-submit' },
          'Create user',
        );
        const footer = h(
          'div',
          { class: 'row gap' },
          h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
          submit,
        );
        const form = h(
          'form',
          { id: 'user-form', class: 'form', novalidate: true },
          field('User name', name, 'Lower-case letters, digits, dot, dash, underscore; 3 to 32 characters.'),
          field('Role', role),
          err,
        );
        form.addEventListener('submit', async (e) => {
          e.preventDefault();
          err.replaceChildren();
          if (!/^[a-z][a-z0-9._-]{2,31}$/.test(name.value))
            return void err.append(
              errorBox('Check the user name: lower-case, 3 to 32 characters, starting with a letter.'),
            );
          submit.disabled = true;
          try {
            const r = await api<{ user?: UserView; oneTimePassword: string }>('/users', {
              method: 'POST',
              body: { name: name.value, role: role.value },
            });
            replace(
              form,
              h(
                'p',
                null,
                `User ${name.value} (${role.value}) created. Give them this one-time password over a separate channel. They choose their own password and enrol TOTP at first sign-in.`,
              ),
              shownOnce('One-time password', r.oneTimePassword, 'user-otp'),
            );
            replace(
              footer,
              h('button', { type: 'button', class: 'btn btn-primary', onclick: () => close(true) }, 'Done'),
            );
            void load();
          } catch (ex) {
            submit.disabled = false;
            err.append(errorBox(describeError(ex)));
          }
        });
        setTimeout(() => name.focus(), 0);
        return { body: form, footer };
      },
      { testid: 'user-dialog' },
    );
  }

  void load();
}

// ---------------------------------------------------------------- tokens
function tokensTab(host: HTMLElement): void {
  const tableHost = h('div', { class: 'table-host' });
  const addBtn = h(
    'button',
    { type: 'button', class: 'btn btn-primary', testid: 'token-add', onclick: () => void create() },
    icon('plus'),
    'Create token',
  );
  replace(
    host,
    card(
      'API tokens',
      [
        h(
          'p',
          { class: 'muted card-intro' },
          'For machine clients (scripts, Prometheus, integrations): `Authorization: Bearer vgl_…`. A token acts with the role it was given.',
        ),
        tableHost,
      ],
      {
        actions: addBtn,
      },
    ),
  );

  async function load(): Promise<void> {
    replace(tableHost, loading());
    try {
      const r = await api<{ tokens: ApiTokenView[] }>('/tokens');
      render(r.tokens ?? []);
    } catch (err) {
      replace(tableHost, errorBox(describeError(err)));
    }
  }

  function render(tokens: ApiTokenView[]): void {
    if (!tokens.length) return void replace(tableHost, emptyState('No API tokens.'));
    replace(
      tableHost,
      h(
        'table',
        { class: 'table table-responsive', testid: 'token-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Label', 'Role', 'Status', 'Created', 'Expires', 'Last used', ''].map((t) => h('th', null, t)),
          ),
        ),
        h(
          'tbody',
          null,
          tokens.map((t) =>
            h(
              'tr',
              { testid: `token-row-${t.id}` },
              h(
                'td',
                { 'data-label': 'Label' },
                h('strong', null, t.label),
                h('div', { class: 'muted small' }, h('code', null, `vgl_${t.id}_…`)),
              ),
              h('td', { 'data-label': 'Role' }, h('span', { class: 'role-chip role-chip-light' }, t.role)),
              h(
                'td',
                { 'data-label': 'Status' },
                t.status === 'active'
                  ? badge('ok', 'Active')
                  : t.status === 'expired'
                    ? badge('warn', 'Expired', 'clock')
                    : badge('off', 'Revoked', 'x'),
              ),
              h('td', { 'data-label': 'Created' }, `${absDate(t.createdAt)} by ${t.createdBy}`),
              h('td', { 'data-label': 'Expires' }, absDate(t.expiresAt)),
              h(
                'td',
                { 'data-label': 'Last used' },
                t.lastUsedAt ? timeAgo(t.lastUsedAt) : h('span', { class: 'muted' }, 'never'),
              ),
              h(
                'td',
                { class: 'col-actions' },
                t.status === 'active'
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn btn-small btn-danger-outline',
                        testid: `token-revoke-${t.id}`,
                        onclick: async () => {
                          if (
                            !(await confirmDialog(
                              `Revoke “${t.label}”?`,
                              'Clients using it are refused from now on.',
                              'Revoke',
                              true,
                            ))
                          )
                            return;
                          try {
                            await api(`/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' });
                            toast('Token revoked.', 'ok');
                            void load();
                          } catch (err) {
                            toast(describeError(err), 'bad');
                          }
                        },
                      },
                      'Revoke',
                    )
                  : null,
              ),
            ),
          ),
        ),
      ),
    );
  }

  async function create(): Promise<void> {
    await openDialog<boolean>(
      'Create API token',
      (close) => {
        const label = h('input', {
          type: 'text',
          required: true,
          maxlength: 64,
          placeholder: 'e.g. prometheus-scraper',
          testid: 'token-label',
        });
        const role = roleSelect();
        role.value = 'viewer';
        const days = h(
          'select',
          { testid: 'token-ttl' },
          [7, 30, 90, 180, 365].map((d) => h('option', { value: d }, `${d} days`)),
        );
        days.value = '90';
        const err = h('div', { class: 'form-error' });
        const submit = h(
          'button',
          { type: 'submit', class: 'btn btn-primary', form: 'token-form', testid: 'token-submit' },
          'Create token',
        );
        const footer = h(
          'div',
          { class: 'row gap' },
          h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
          submit,
        );
        const form = h(
          'form',
          { id: 'token-form', class: 'form', novalidate: true },
          field('Label', label),
          field('Role', role),
          field('Valid for', days),
          err,
        );
        form.addEventListener('submit', async (e) => {
          e.preventDefault();
          err.replaceChildren();
          if (!label.value.trim()) return void err.append(errorBox('Give the token a label.'));
          submit.disabled = true;
          try {
            const r = await api<{ token?: string | ApiTokenView; secret?: string }>('/tokens', {
              method: 'POST',
              body: { label: label.value.trim(), role: role.value, ttlDays: Number(days.value) },
            });
            const secret = typeof r.token === 'string' ? r.token : (r.secret ?? '');
            replace(
              form,
              h('p', null, `Token “${label.value.trim()}” (${role.value}) created.`),
              shownOnce('Bearer token', secret, 'token-secret'),
            );
            replace(
              footer,
              h('button', { type: 'button', class: 'btn btn-primary', onclick: () => close(true) }, 'Done'),
            );
            void load();
          } catch (ex) {
            submit.disabled = false;
            err.append(errorBox(describeError(ex)));
          }
        });
        setTimeout(() => label.focus(), 0);
        return { body: form, footer };
      },
      { testid: 'token-dialog' },
    );
  }

  void load();
}

// ---------------------------------------------------------------- devices
function devicesTab(host: HTMLElement, ctx: AppContext): () => void {
  const listHost = h('div', { class: 'table-host' });
  const addBtn = h(
    'button',
    { type: 'button', class: 'btn btn-primary', testid: 'device-add', onclick: () => void add() },
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
          'Adding a device issues its client certificate and key material. Download the bundle once and load it onto the device: Vigil keeps no copy of the private key.',
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
        { class: 'table table-responsive table-compact' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Device', 'Profile', 'Status', 'Encryption', 'Certificate until', 'Added'].map((t) =>
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
              null,
              h(
                'td',
                { 'data-label': 'Device' },
                h('a', { href: `#/device/${encodeURIComponent(d.id)}` }, d.id),
              ),
              h('td', { 'data-label': 'Profile' }, PROFILES[d.profile].label),
              h(
                'td',
                { 'data-label': 'Status' },
                d.status === 'enabled' ? badge('ok', 'Enabled') : badge('off', humanize(d.status)),
              ),
              h('td', { 'data-label': 'Encryption' }, h('code', null, d.alg || '–')),
              h('td', { 'data-label': 'Certificate until' }, absDate(d.certNotAfter)),
              h('td', { 'data-label': 'Added' }, absTime(d.createdAt)),
            ),
          ),
        ),
      ),
    );
  }

  async function add(): Promise<void> {
    await openDialog<boolean>(
      'Add device',
      (close) => {
        const id = h('input', {
          type: 'text',
          required: true,
          autocapitalize: 'none',
          spellcheck: 'false',
          pattern: '[a-z0-9][a-z0-9-]{2,63}',
          placeholder: 'e.g. truck-0042',
          testid: 'device-id-input',
        });
        const profile = h(
          'select',
          { testid: 'device-profile' },
          PROFILE_NAMES.map((p) => h('option', { value: p }, PROFILES[p].label)),
        );
        const err = h('div', { class: 'form-error' });
        const submit = h(
          'button',
          { type: 'submit', class: 'btn btn-primary', form: 'device-form', testid: 'device-submit' },
          'Add device',
        );
        const footer = h(
          'div',
          { class: 'row gap' },
          h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
          submit,
        );
        const form = h(
          'form',
          { id: 'device-form', class: 'form', novalidate: true },
          field('Device id', id, 'Lower-case letters, digits and dashes; 3 to 64 characters.'),
          field('Profile', profile),
          err,
        );
        form.addEventListener('submit', async (e) => {
          e.preventDefault();
          err.replaceChildren();
          if (!/^[a-z0-9][a-z0-9-]{2,63}$/.test(id.value))
            return void err.append(
              errorBox('Device ids are 3 to 64 characters: lower-case letters, digits and dashes.'),
            );
          submit.disabled = true;
          try {
            const r = await api<{ device?: unknown; bundle: Record<string, string> }>('/devices', {
              method: 'POST',
              body: { id: id.value, profile: profile.value },
            });
            const bundle = r.bundle ?? {};
            const n = normDevice(r.device);
            if (n) ctx.store.devices.set(n.device.id, n.device);
            replace(
              form,
              h(
                'p',
                null,
                `Device ${id.value} added. Download its files now; the private key and secrets are not shown again.`,
              ),
              h(
                'ul',
                { class: 'bundle-files' },
                Object.entries(bundle).map(([name, content]) =>
                  h(
                    'li',
                    null,
                    h('code', null, name),
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn btn-small',
                        testid: `bundle-${name}`,
                        onclick: () => download(`${id.value}-${name}`, content, 'application/octet-stream'),
                      },
                      icon('download'),
                      'Download',
                    ),
                  ),
                ),
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'btn',
                  testid: 'bundle-json',
                  onclick: () =>
                    download(
                      `${id.value}-bundle.json`,
                      JSON.stringify({ id: id.value, profile: profile.value, files: bundle }, null, 2),
                      'application/json',
                    ),
                },
                icon('download'),
                'Download all (JSON)',
              ),
            );
            replace(
              footer,
              h('button', { type: 'button', class: 'btn btn-primary', onclick: () => close(true) }, 'Done'),
            );
            render();
          } catch (ex) {
            submit.disabled = false;
            err.append(errorBox(describeError(ex)));
          }
        });
        setTimeout(() => id.focus(), 0);
        return { body: form, footer };
      },
      { testid: 'device-dialog', wide: true },
    );
  }

  render();
  return ctx.store.on('devices', render);
}
