/**
 * The audit log (auditor, admin: `audit.read`): entries newest first, filtered by action, actor
 * and time; the chain's verification status (GET /api/v1/audit/verify: every link and HMAC
 * recomputed on the server); and an export of the entries shown, as NDJSON or CSV.
 */
import { api, describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { download, h, replace } from '../dom.ts';
import { absTime } from '../format.ts';
import type { AuditEntryView, AuditVerificationView } from '../types.ts';
import { badge, card, emptyState, errorBox, field, loading, pageHeader } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';

const PAGE = 1000;
/** Pages read at most for one view (the API pages oldest first from `since`). */
const MAX_PAGES = 20;

/** A CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function auditCsv(entries: readonly AuditEntryView[]): string {
  const head = 'id,ts,actor,action,object,detail,prevHash,hash';
  const rows = entries.map((e) =>
    [String(e.id), e.ts, e.actor, e.action, e.object ?? '', JSON.stringify(e.detail), e.prevHash, e.hash]
      .map(csvField)
      .join(','),
  );
  return `${[head, ...rows].join('\r\n')}\r\n`;
}

export const auditPage: Page = (root) => {
  let stopped = false;
  let entries: AuditEntryView[] = [];
  let truncated = false;
  const action = h('input', {
    type: 'text',
    placeholder: 'e.g. device.revoke',
    testid: 'audit-action',
    maxlength: 64,
  });
  const actor = h('input', {
    type: 'text',
    placeholder: 'e.g. user:ada',
    testid: 'audit-actor',
    maxlength: 128,
  });
  const since = h('input', { type: 'datetime-local', testid: 'audit-since' });
  const chain = h('div', { testid: 'audit-chain' }, loading('Verifying the chain…'));
  const list = h('div', { class: 'table-host' }, loading('Loading the audit log…'));
  const count = h('span', { class: 'muted small', testid: 'audit-count' });
  const filters = h(
    'form',
    { class: 'toolbar wrap', testid: 'audit-filters' },
    field('Action', action),
    field('Actor', actor),
    field('From', since, 'Your browser’s time zone.'),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply'),
  );
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    void load();
  });
  const exportBtn = (fmt: 'ndjson' | 'csv') =>
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        testid: `audit-export-${fmt}`,
        onclick: () =>
          fmt === 'csv'
            ? download('vigil-audit.csv', auditCsv(entries), 'text/csv')
            : download(
                'vigil-audit.ndjson',
                entries.map((x) => `${JSON.stringify(x)}\n`).join(''),
                'application/x-ndjson',
              ),
      },
      icon('download'),
      fmt === 'csv' ? 'CSV' : 'NDJSON',
    );
  replace(
    root,
    pageHeader('Audit log', 'Every change and sign-in, hash-chained and signed. Read-only.'),
    card('Chain', chain),
    card([icon('shield'), ' Entries'], [filters, list], {
      actions: h('div', { class: 'row gap' }, count, exportBtn('csv'), exportBtn('ndjson')),
      testid: 'audit-entries',
    }),
  );

  async function verify(): Promise<void> {
    try {
      const v = await api<AuditVerificationView>('/audit/verify');
      if (stopped) return;
      replace(
        chain,
        h(
          'p',
          { class: 'row gap wrap' },
          v.ok
            ? badge('ok', 'Chain intact', 'check', 'audit-chain-status')
            : badge('bad', `Broken at entry ${v.firstBroken}`, 'alert', 'audit-chain-status'),
          h(
            'span',
            { class: 'muted' },
            `${v.entries} entries checked ${absTime(v.checkedAt)}`,
            v.head ? `; head #${v.head.id} ${v.head.hash.slice(0, 16)}…` : '',
          ),
        ),
        v.ok
          ? null
          : h(
              'p',
              null,
              'An entry was changed, removed or reordered at that point. Keep this data directory as evidence.',
            ),
      );
    } catch (err) {
      if (!stopped) replace(chain, errorBox(describeError(err)));
    }
  }

  async function load(): Promise<void> {
    replace(list, loading('Loading the audit log…'));
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (action.value.trim()) q.set('action', action.value.trim());
    const from = since.value ? new Date(since.value).getTime() : 0;
    q.set('since', new Date(Number.isFinite(from) ? from : 0).toISOString());
    const out: AuditEntryView[] = [];
    const seen = new Set<number>();
    truncated = false;
    try {
      for (let page = 0; ; page++) {
        const r = await api<{ entries: AuditEntryView[]; more: boolean }>(`/audit?${q}`);
        for (const e of r.entries) {
          if (seen.has(e.id)) continue; // `since` is inclusive: the page boundary repeats
          seen.add(e.id);
          out.push(e);
        }
        const last = r.entries[r.entries.length - 1];
        if (!r.more || !last) break;
        if (page + 1 >= MAX_PAGES) {
          truncated = true;
          break;
        }
        q.set('since', last.ts);
      }
    } catch (err) {
      if (!stopped) replace(list, errorBox(describeError(err)));
      return;
    }
    if (stopped) return;
    const who = actor.value.trim();
    entries = out.filter((e) => !who || e.actor.includes(who)).sort((a, b) => b.id - a.id);
    count.textContent = `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}${truncated ? ' (the first 20,000 from the start time)' : ''}`;
    render();
  }

  function render(): void {
    if (!entries.length) return void replace(list, emptyState('No entry matches the filter.'));
    replace(
      list,
      h(
        'table',
        { class: 'table table-compact table-responsive', testid: 'audit-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['#', 'Time', 'Actor', 'Action', 'Object', 'Detail'].map((t) => h('th', null, t)),
          ),
        ),
        h(
          'tbody',
          null,
          entries
            .slice(0, 500)
            .map((e) =>
              h(
                'tr',
                { testid: `audit-row-${e.id}` },
                h('td', { 'data-label': '#' }, String(e.id)),
                h('td', { 'data-label': 'Time', class: 'nowrap' }, absTime(e.ts)),
                h('td', { 'data-label': 'Actor' }, e.actor),
                h('td', { 'data-label': 'Action' }, h('code', null, e.action)),
                h('td', { 'data-label': 'Object' }, e.object ?? '–'),
                h('td', { 'data-label': 'Detail', class: 'audit-detail' }, JSON.stringify(e.detail)),
              ),
            ),
        ),
      ),
      entries.length > 500
        ? h('p', { class: 'muted small' }, 'The newest 500 are shown; the export holds all of them.')
        : null,
    );
  }

  void verify();
  void load();
  return () => {
    stopped = true;
  };
};
