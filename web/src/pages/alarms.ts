/**
 * Alarms: active ones (open, then acknowledged) first, with the rule, the device, when it started, and the acknowledgement.
 * Acknowledging needs `alarms.ack` and is an electronic signature (21 CFR Part 11): a reason, the
 * meaning of the signature, and the user's password and a fresh TOTP code, re-entered each time.
 * The server records name, role, time, meaning and reason, and audits it.
 */

import { ApiError, api, describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { placeText } from '../device-place.ts';
import { h, replace } from '../dom.ts';
import { absTime, humanize, ms } from '../format.ts';
import { type Alarm, alarmActive } from '../types.ts';
import { alarmMessage } from '../ui/alarm-message.ts';
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
import {
  type Escalation,
  escalationCell,
  loadEscalations,
  onCallPanel,
  openNotificationsDialog,
} from './alarm-notifications.ts';

/** `active`: open or acknowledged, not yet resolved (the API's `state=active`). */
type View = 'active' | 'all';
const REASON_MIN = 3;
/** The meanings the API accepts (src/alarms/alarm-store.ts ACK_MEANINGS). */
const MEANINGS = [
  { value: 'reviewed', label: 'Reviewed: I have reviewed this alarm' },
  { value: 'impact assessed', label: 'Impact assessed: I have judged the effect on the product' },
  { value: 'approved', label: 'Approved: I approve the action taken' },
] as const;

function stateBadge(a: Alarm): HTMLElement {
  if (a.disproved) return badge('off', 'Disproved', 'check');
  if (!alarmActive(a)) return badge('off', humanize(a.state), 'check');
  if (a.ack) return badge('warn', 'Acknowledged', 'check');
  return badge('bad', 'Open', 'alert');
}

function severityTone(s: string | null): Tone {
  return s === 'critical' || s === 'high' ? 'bad' : s === 'warning' || s === 'medium' ? 'warn' : 'info';
}

export const alarmsPage: Page = (root, ctx, params) => {
  let view: View = 'active';
  let alarms: Alarm[] = [];
  let escalations = new Map<string, Escalation>();
  /** `#/alarms?alarm=ID` (the link in a notification) opens that alarm's notifications once. */
  let deepLink = params.alarm ?? null;
  let error: unknown = null;
  let loaded = false;
  const canAck = ctx.can('alarms.ack');
  const host = h('div', { class: 'table-host' });

  replace(
    root,
    pageHeader(
      'Alarms',
      canAck
        ? 'Excursions and device faults. Acknowledging is an electronic signature: reason, meaning, password and TOTP code.'
        : 'Excursions and device faults.',
    ),
    onCallPanel(),
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
              { value: 'active', label: 'Active', testid: 'alarms-open' },
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
      const [r, e] = await Promise.all([
        api<{ alarms: Alarm[] }>(view === 'active' ? '/alarms?state=active' : '/alarms'),
        loadEscalations().catch(() => escalations),
      ]);
      alarms = r.alarms;
      escalations = e;
      error = null;
    } catch (err) {
      error = err;
    }
    loaded = true;
    render();
    if (deepLink) {
      const id = deepLink;
      deepLink = null;
      const a =
        alarms.find((x) => x.id === id) ??
        (await api<{ alarm: Alarm }>(`/alarms/${encodeURIComponent(id)}`).catch(() => null))?.alarm;
      if (a) void openNotificationsDialog(a);
    }
  }

  function render(): void {
    if (!loaded) return void replace(host, loading('Loading alarms…'));
    if (error) return void replace(host, errorBox(describeError(error)));
    const list = [...alarms].sort((a, b) => {
      const rank = (x: Alarm) => (alarmActive(x) ? (x.ack ? 1 : 0) : 2);
      return rank(a) - rank(b) || ms(b.raisedAt) - ms(a.raisedAt);
    });
    if (!list.length)
      return void replace(
        host,
        emptyState(
          view === 'active' ? 'No active alarms.' : 'No alarms recorded.',
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
            ['State', 'Alarm', 'Device', 'Started', 'Escalation', 'Acknowledgement', ''].map((t) =>
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
                a.message ? h('div', { class: 'muted small' }, alarmMessage(a)) : null,
                a.disproved
                  ? h(
                      'div',
                      { class: 'small', testid: 'alarm-disproved' },
                      `Disproved ${absTime(a.disproved.at)}: ${a.disproved.reason}`,
                    )
                  : null,
              ),
              h(
                'td',
                { 'data-label': 'Device', class: 'cell-nowrap' },
                a.subject === 'vigil'
                  ? 'Vigil (system)'
                  : a.subject
                    ? [
                        h('a', { href: `#/device/${encodeURIComponent(a.subject)}` }, a.subject),
                        // A patient monitor's ward and bed, for the roles that see them.
                        placeText(ctx.store.devices.get(a.subject)?.labels)
                          ? h(
                              'div',
                              { class: 'device-place-line', testid: `alarm-place-${a.subject}` },
                              placeText(ctx.store.devices.get(a.subject)?.labels),
                            )
                          : null,
                      ]
                    : '–',
              ),
              h(
                'td',
                { 'data-label': 'Started', class: 'cell-nowrap' },
                h('div', null, absTime(a.startedAt ?? a.raisedAt)),
                h('div', { class: 'muted small' }, timeAgo(a.startedAt ?? a.raisedAt)),
              ),
              h('td', { 'data-label': 'Escalation' }, escalationCell(escalations.get(a.id))),
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
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn btn-small',
                    testid: 'notifications-button',
                    title: 'Who was notified, when, and what the providers answered',
                    onclick: () => void openNotificationsDialog(a),
                  },
                  icon('bell'),
                  'Notifications',
                ),
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
        const meaning = h(
          'select',
          { required: true, testid: 'ack-meaning' },
          MEANINGS.map((m) => h('option', { value: m.value }, m.label)),
        );
        const password = h('input', {
          type: 'password',
          autocomplete: 'current-password',
          required: true,
          maxlength: 1024,
          testid: 'ack-password',
        });
        const totp = h('input', {
          type: 'text',
          inputmode: 'numeric',
          autocomplete: 'one-time-code',
          pattern: '[0-9]*',
          maxlength: 7,
          required: true,
          class: 'code-input',
          testid: 'ack-totp',
        });
        const err = h('div', { class: 'form-error', 'aria-live': 'assertive' });
        const submit = h(
          'button',
          { type: 'submit', class: 'btn btn-primary', testid: 'ack-submit', form: 'ack-form' },
          'Sign and acknowledge',
        );
        const form = h(
          'form',
          { id: 'ack-form', class: 'form', novalidate: true },
          h(
            'p',
            null,
            h('strong', null, humanize(a.rule)),
            ` on ${a.subject || 'unknown device'}`,
            a.message ? h('span', { class: 'muted' }, ' · ', alarmMessage(a)) : null,
          ),
          field('Reason (required)', reason, 'Recorded with your name in the audit log.'),
          field('Meaning of your signature', meaning),
          field('Password', password, 'Re-enter your password to sign.'),
          field('Authenticator code', totp, 'A fresh 6-digit code; each code signs once.'),
          err,
        );
        form.addEventListener('submit', async (e) => {
          e.preventDefault();
          err.replaceChildren();
          const text = reason.value.trim();
          if (text.length < REASON_MIN)
            return void err.append(errorBox('Give a reason for the acknowledgement.'));
          const code = totp.value.replace(/\s/g, '');
          if (!password.value || !/^\d{6}$/.test(code))
            return void err.append(errorBox('Enter your password and a 6-digit authenticator code to sign.'));
          submit.disabled = true;
          try {
            // 401 here means a wrong password or code, not an ended session: stay on the page.
            const r = await api<{ alarm: Alarm }>(`/alarms/${encodeURIComponent(a.id)}/ack`, {
              method: 'POST',
              body: { reason: text, meaning: meaning.value, password: password.value, totp: code },
              quiet401: true,
            });
            password.value = '';
            totp.value = '';
            const updated = r.alarm;
            alarms = alarms.map((x) => (x.id === a.id ? updated : x));
            ctx.store.alarms.set(updated.id, updated);
            toast('Alarm acknowledged.', 'ok');
            render();
            close(true);
          } catch (ex) {
            submit.disabled = false;
            totp.value = '';
            const why = ex instanceof ApiError ? ex.code : '';
            err.append(
              errorBox(
                why === 'VIGIL_ERR_TOTP'
                  ? 'The authenticator code was not accepted (wrong, or already used). Wait for the next code.'
                  : why === 'VIGIL_ERR_AUTH'
                    ? 'The password was not accepted. If your session has ended, sign in again.'
                    : describeError(ex),
              ),
            );
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
