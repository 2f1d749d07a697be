/** Admin: API tokens for machine clients (create → shown once, list, revoke). */
import { api, describeError } from '../api.ts';
import { h, replace } from '../dom.ts';
import { absDate } from '../format.ts';
import type { ApiTokenView } from '../types.ts';
import {
  badge,
  card,
  confirmDialog,
  emptyState,
  errorBox,
  field,
  loading,
  openDialog,
  timeAgo,
  toast,
} from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { roleSelect, shownOnce } from './admin-bits.ts';

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
