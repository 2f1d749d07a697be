/**
 * Alarms: open ones first, with the rule, the device, when it started, and the acknowledgement.
 * Acknowledging needs `alarms.ack` and a reason (it goes to the audit log with the user).
 */
import { api, describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { h, replace } from '../dom.ts';
import { absTime, humanize } from '../format.ts';
import { alarmActive, normAlarm } from '../normalize.ts';
import type { Alarm } from '../types.ts';
import {
  badge,
  emptyState,
  errorBox,
  field,
  loading,
  openDialog,
  pageHeader,
  segmented,
  type Tone,
  timeAgo,
  toast,
} from '../ui/components.ts';
import { icon } from '../ui/icons.ts';

type View = 'open' | 'all';
const REASON_MIN = 3;

function stateBadge(a: Alarm): HTMLElement {
  if (!alarmActive(a)) return badge('off', humanize(a.state), 'check');
  if (a.ack) return badge('warn', 'Acknowledged', 'check');
  return badge('bad', 'Open', 'alert');
}

function severityTone(s: string | null): Tone {
  return s === 'critical' || s === 'high' ? 'bad' : s === 'warning' || s === 'medium' ? 'warn' : 'info';
}

export const alarmsPage: Page = (root, ctx) => {
  let view: View = 'open';
  let alarms: Alarm[] = [];
  let error: unknown = null;
  let loaded = false;
  const canAck = ctx.can('alarms.ack');
  const host = h('div', { class: 'table-host' });

  replace(
    root,
    pageHeader(
      'Alarms',
      canAck
        ? 'Excursions and device faults. Acknowledge with a reason: it is recorded in the audit log.'
        : 'Excursions and device faults.',
    ),
    h(
      'section',
      { class: 'card' },
      h(
        'header',
        { class: 'card-header' },
        h(
          'div',
          { class: 'toolbar' },
          segmented<View>(
            'Show',
            [
              { value: 'open', label: 'Open', testid: 'alarms-open' },
              { value: 'all', label: 'All', testid: 'alarms-all' },
            ],
            view,
            (v) => {
              view = v;
              void load();
            },
          ),
        ),
      ),
      host,
    ),
  );

  async function load(): Promise<void> {
    try {
      const r = await api<{ alarms: unknown[] }>(view === 'open' ? '/alarms?state=open' : '/alarms');
      alarms = (r.alarms ?? []).map(normAlarm).filter((a): a is Alarm => a !== null);
      error = null;
    } catch (err) {
      error = err;
    }
    loaded = true;
    render();
  }

  function render(): void {
    if (!loaded) return void replace(host, loading('Loading alarms…'));
    if (error) return void replace(host, errorBox(describeError(error)));
    const list = [...alarms].sort((a, b) => {
      const rank = (x: Alarm) => (alarmActive(x) ? (x.ack ? 1 : 0) : 2);
      return rank(a) - rank(b) || (b.raisedAt ?? b.startedAt ?? 0) - (a.raisedAt ?? a.startedAt ?? 0);
    });
    if (!list.length)
      return void replace(
        host,
        emptyState(
          view === 'open' ? 'No open alarms.' : 'No alarms recorded.',
          'Alarms appear here as soon as a rule fires.',
        ),
      );
    replace(
      host,
      h(
        'table',
        { class: 'table table-responsive', testid: 'alarm-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['State', 'Alarm', 'Device', 'Started', 'Acknowledgement', ''].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          null,
          list.map((a) =>
            h(
              'tr',
              { testid: `alarm-row-${a.id}`, class: alarmActive(a) && !a.ack ? 'row-alarm' : undefined },
              h('td', { 'data-label': 'State' }, stateBadge(a)),
              h(
                'td',
                { 'data-label': 'Alarm' },
                h(
                  'div',
                  { class: 'alarm-title' },
                  humanize(a.rule),
                  a.severity ? [' ', badge(severityTone(a.severity), humanize(a.severity))] : null,
                ),
                a.message ? h('div', { class: 'muted small' }, a.message) : null,
              ),
              h(
                'td',
                { 'data-label': 'Device' },
                a.subject ? h('a', { href: `#/device/${encodeURIComponent(a.subject)}` }, a.subject) : '–',
              ),
              h(
                'td',
                { 'data-label': 'Started' },
                h('div', null, absTime(a.startedAt ?? a.raisedAt)),
                h('div', { class: 'muted small' }, timeAgo(a.startedAt ?? a.raisedAt)),
              ),
              h(
                'td',
                { 'data-label': 'Acknowledgement' },
                a.ack
                  ? h(
                      'div',
                      null,
                      h('div', null, `${a.ack.by ?? 'someone'} · ${absTime(a.ack.at)}`),
                      a.ack.reason
                        ? h('div', { class: 'muted small ack-reason' }, `“${a.ack.reason}”`)
                        : null,
                    )
                  : h('span', { class: 'muted' }, 'Not acknowledged'),
              ),
              h(
                'td',
                { class: 'col-actions' },
                canAck && alarmActive(a) && !a.ack
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn btn-small btn-primary',
                        testid: 'ack-button',
                        onclick: () => void acknowledge(a),
                      },
                      icon('check'),
                      'Acknowledge',
                    )
                  : null,
              ),
            ),
          ),
        ),
      ),
    );
  }

  async function acknowledge(a: Alarm): Promise<void> {
    await openDialog<boolean>(
      'Acknowledge alarm',
      (close) => {
        const reason = h('textarea', {
          rows: 3,
          required: true,
          minlength: REASON_MIN,
          maxlength: 500,
          placeholder:
            'What was checked or done, e.g. "Load inspected, vials within range, logger door re-sealed"',
          testid: 'ack-reason',
        });
        const err = h('div', { class: 'form-error', 'aria-live': 'assertive' });
        const submit = h(
          'button',
          { type: 'submit', class: 'btn btn-primary', testid: 'ack-submit', form: 'ack-form' },
          'Acknowledge',
        );
        const form = h(
          'form',
          { id: 'ack-form', class: 'form', novalidate: true },
          h(
            'p',
            null,
            h('strong', null, humanize(a.rule)),
            ` on ${a.subject || 'unknown device'}`,
            a.message ? h('span', { class: 'muted' }, ` · ${a.message}`) : null,
          ),
          field('Reason (required)', reason, 'Recorded with your name in the audit log.'),
          err,
        );
        form.addEventListener('submit', async (e) => {
          e.preventDefault();
          err.replaceChildren();
          const text = reason.value.trim();
          if (text.length < REASON_MIN)
            return void err.append(errorBox('Give a reason for the acknowledgement.'));
          submit.disabled = true;
          try {
            const r = await api<{ alarm?: unknown }>(`/alarms/${encodeURIComponent(a.id)}/ack`, {
              method: 'POST',
              body: { reason: text },
            });
            const updated = normAlarm(r?.alarm) ?? {
              ...a,
              ack: { by: ctx.me.name, at: Date.now(), reason: text },
            };
            alarms = alarms.map((x) => (x.id === a.id ? updated : x));
            ctx.store.alarms.set(updated.id, updated);
            toast('Alarm acknowledged.', 'ok');
            render();
            close(true);
          } catch (ex) {
            submit.disabled = false;
            err.append(errorBox(describeError(ex)));
          }
        });
        setTimeout(() => reason.focus(), 0);
        return {
          body: form,
          footer: [
            h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
            submit,
          ],
        };
      },
      { testid: 'ack-dialog' },
    );
  }

  const unsub = ctx.store.on('alarms', () => {
    // A live alarm update: merge it into the current list.
    for (const a of ctx.store.alarms.values()) {
      const i = alarms.findIndex((x) => x.id === a.id);
      if (i >= 0) alarms[i] = a;
      else if (view === 'all' || alarmActive(a)) alarms.push(a);
    }
    render();
  });
  render();
  void load();
  return unsub;
};
