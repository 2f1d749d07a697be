/** Admin: API tokens for machine clients (create → shown once, list, revoke). */
import { api } from '../api.ts';
import { h, replace } from '../dom.ts';
import { absDate } from '../format.ts';
import type { ApiTokenView } from '../types.ts';
import { badge, card, emptyState, field, timeAgo } from '../ui/components.ts';
import { createDialog } from '../ui/create-dialog.ts';
import { icon } from '../ui/icons.ts';
import { confirmedAction, loadList, roleSelect, shownOnce } from './admin-bits.ts';

export function tokensTab(host: HTMLElement): void {
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
          'For machine clients (scripts, Prometheus, integrations): send ',
          h('code', { testid: 'token-help-header' }, 'Authorization: Bearer vgl_…'),
          '. A token acts with the role it was given.',
        ),
        tableHost,
      ],
      {
        actions: addBtn,
      },
    ),
  );

  function load(): Promise<void> {
    return loadList<ApiTokenView>(tableHost, '/tokens', (r) => r.tokens, render);
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
                  ? confirmedAction({
                      label: 'Revoke',
                      title: `Revoke “${t.label}”?`,
                      text: 'Clients using it are refused from now on.',
                      danger: true,
                      testid: `token-revoke-${t.id}`,
                      run: () => api(`/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' }),
                      doneText: 'Token revoked.',
                      after: () => void load(),
                    })
                  : null,
              ),
            ),
          ),
        ),
      ),
    );
  }

  async function create(): Promise<void> {
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
    await createDialog(
      'Create API token',
      {
        formId: 'token-form',
        submitLabel: 'Create token',
        submitTestid: 'token-submit',
        fields: [field('Label', label), field('Role', role), field('Valid for', days)],
        focus: label,
        invalid: () => (label.value.trim() ? null : 'Give the token a label.'),
        send: async () => {
          const r = await api<{ token?: string | ApiTokenView; secret?: string }>('/tokens', {
            method: 'POST',
            body: { label: label.value.trim(), role: role.value, ttlDays: Number(days.value) },
          });
          const secret = typeof r.token === 'string' ? r.token : (r.secret ?? '');
          return [
            h('p', null, `Token “${label.value.trim()}” (${role.value}) created.`),
            shownOnce('Bearer token', secret, 'token-secret'),
          ];
        },
        after: () => void load(),
      },
      { testid: 'token-dialog' },
    );
  }

  void load();
}
