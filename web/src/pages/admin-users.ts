/** Admin: users (add with a role → one-time password shown once, disable, enable, reset MFA, end sessions). */
import { api } from '../api.ts';
import type { AppContext } from '../context.ts';
import { h, replace } from '../dom.ts';
import type { UserView } from '../types.ts';
import { badge, card, emptyState, field, timeAgo } from '../ui/components.ts';
import { createDialog } from '../ui/create-dialog.ts';
import { icon } from '../ui/icons.ts';
import { confirmedAction, loadList, roleSelect, shownOnce } from './admin-bits.ts';

export function usersTab(host: HTMLElement, ctx: AppContext): void {
  const tableHost = h('div', { class: 'table-host' });
  const addBtn = h(
    'button',
    { type: 'button', class: 'btn btn-primary', testid: 'user-add', onclick: () => void addUser() },
    icon('plus'),
    'Add user',
  );
  replace(host, card('Users', tableHost, { actions: addBtn }));

  function load(): Promise<void> {
    return loadList<UserView>(tableHost, '/users', (r) => r.users, render);
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
    return confirmedAction({
      label,
      title,
      text,
      danger,
      testid,
      run: () => api(path, { method, body: method === 'POST' ? {} : undefined }),
      doneText: `${label}: done.`,
      after: () => void load(),
    });
  }

  async function addUser(): Promise<void> {
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
    await createDialog(
      'Add user',
      {
        formId: 'user-form',
        submitLabel: 'Create user',
        submitTestid: 'user-submit',
        fields: [
          field('User name', name, 'Lower-case letters, digits, dot, dash, underscore; 3 to 32 characters.'),
          field('Role', role),
        ],
        focus: name,
        invalid: () =>
          /^[a-z][a-z0-9._-]{2,31}$/.test(name.value)
            ? null
            : 'Check the user name: lower-case, 3 to 32 characters, starting with a letter.',
        send: async () => {
          const r = await api<{ user?: UserView; oneTimePassword: string }>('/users', {
            method: 'POST',
            body: { name: name.value, role: role.value },
          });
          return [
            h(
              'p',
              null,
              `User ${name.value} (${role.value}) created. Give them this one-time password over a separate channel. They choose their own password and enrol TOTP at first sign-in.`,
            ),
            shownOnce('One-time password', r.oneTimePassword, 'user-otp'),
          ];
        },
        after: () => void load(),
      },
      { testid: 'user-dialog' },
    );
  }

  void load();
}
