/**
 * The notification side of the alarms page: who is on call now, this browser's cues (sound, Web
 * Push opt-in), each alarm's escalation state, and an alarm's notifications with every attempt's
 * provider response.
 */
import { setSoundEnabled, soundEnabled } from '../alarm-cue.ts';
import { api, describeError } from '../api.ts';
import { h, replace } from '../dom.ts';
import { absTime, humanize, relTime } from '../format.ts';
import { disablePush, enablePush, type PushState, pushState } from '../push.ts';
import type { Alarm, AlarmNotificationsView, EscalationView, OnCallView } from '../types.ts';
import { badge, emptyState, errorBox, loading, openDialog, type Tone } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import './alarm-notifications.css';

export type OnCall = OnCallView;
export type Escalation = EscalationView;

/** Who is on call now, per schedule, and this browser's alarm cues. */
export function onCallPanel(): HTMLElement {
  const list = h('div', { class: 'oncall-list', testid: 'on-call' }, loading('Loading on-call…'));
  const cues = h('div', { class: 'oncall-cues' });
  void api<{ onCall: OnCall[] }>('/notifications/on-call').then(
    (r) =>
      replace(
        list,
        r.onCall.length === 0
          ? h('span', { class: 'muted' }, 'No on-call schedule yet (Admin → Notifications).')
          : r.onCall.map((o) =>
              h(
                'div',
                { class: 'oncall-item', testid: `on-call-${o.scheduleId}` },
                h('div', { class: 'oncall-schedule' }, o.scheduleName),
                h(
                  'div',
                  { class: 'oncall-person' },
                  icon('shield'),
                  h('strong', null, o.contactName ?? 'Nobody'),
                  o.override ? badge('info', 'Override') : null,
                ),
                o.until ? h('div', { class: 'muted small' }, `until ${absTime(o.until)}`) : null,
              ),
            ),
      ),
    (err) => replace(list, errorBox(describeError(err))),
  );
  renderCues(cues);
  return h(
    'section',
    { class: 'card oncall-card' },
    h('header', { class: 'card-header' }, h('h2', { class: 'card-title' }, 'On call now')),
    h('div', { class: 'oncall-body' }, list, cues),
  );
}

const PUSH_TEXT: Record<PushState, string> = {
  unsupported: 'This browser cannot receive push notifications.',
  'not-configured': 'Browser notifications are not set up on this server.',
  denied: 'Notifications are blocked for this site in the browser settings.',
  off: 'Off',
  on: 'On',
};

function renderCues(host: HTMLElement): void {
  const sound = h('input', { type: 'checkbox', testid: 'cue-sound' });
  sound.checked = soundEnabled();
  sound.addEventListener('change', () => setSoundEnabled(sound.checked));
  const pushBtn = h(
    'button',
    { type: 'button', class: 'btn btn-small', testid: 'cue-push', disabled: true },
    'Checking…',
  );
  const pushNote = h('span', { class: 'muted small' });
  let state: PushState = 'off';
  const show = (s: PushState) => {
    state = s;
    pushBtn.disabled = s !== 'on' && s !== 'off';
    pushBtn.textContent = s === 'on' ? 'Turn off browser notifications' : 'Turn on browser notifications';
    pushNote.textContent = s === 'on' || s === 'off' ? '' : PUSH_TEXT[s];
  };
  pushBtn.addEventListener('click', async () => {
    pushBtn.disabled = true;
    try {
      show(state === 'on' ? await disablePush() : await enablePush());
    } catch (err) {
      pushNote.textContent = describeError(err);
      pushBtn.disabled = false;
    }
  });
  pushState().then(show, () => show('unsupported'));
  replace(
    host,
    h('label', { class: 'check' }, sound, h('span', null, 'Sound on new alarms')),
    h('div', { class: 'oncall-push' }, pushBtn, pushNote),
  );
}

/** Escalations by alarm id (active and finished). */
export async function loadEscalations(): Promise<Map<string, Escalation>> {
  const r = await api<{ escalations: Escalation[] }>('/notifications/escalations?limit=1000');
  return new Map(r.escalations.map((e) => [e.alarmId, e]));
}

/** The escalation column: level reached and the next step, or why it stopped. */
export function escalationCell(e: Escalation | undefined): HTMLElement {
  if (!e) return h('span', { class: 'muted' }, '–');
  const level =
    e.sent === 0
      ? 'First notice'
      : `Level ${Math.min(e.sent, e.levels ?? e.sent)}${e.levels ? ` of ${e.levels}` : ''}`;
  if (e.state === 'active')
    return h(
      'div',
      { testid: `escalation-${e.alarmId}` },
      badge('warn', level, 'clock'),
      e.nextAt
        ? h('div', { class: 'muted small' }, `next ${relTime(e.nextAt)} (${absTime(e.nextAt).slice(11, 16)})`)
        : null,
    );
  return h(
    'div',
    { testid: `escalation-${e.alarmId}` },
    badge(e.state === 'stopped' ? 'ok' : 'off', e.state === 'stopped' ? 'Stopped' : 'Done', 'check'),
    h('div', { class: 'muted small' }, e.reason ?? `${level} reached`),
  );
}

const STATE_TONE: Record<string, Tone> = {
  sent: 'ok',
  pending: 'warn',
  sending: 'info',
  failed: 'bad',
  cancelled: 'off',
  skipped: 'off',
};

/** A dialog with an alarm's notifications and their attempts. */
export async function openNotificationsDialog(a: Alarm): Promise<void> {
  const body = h('div', { class: 'notif-log' }, loading('Loading notifications…'));
  void api<AlarmNotificationsView>(`/alarms/${encodeURIComponent(a.id)}/notifications`).then(
    (r) => {
      if (r.notifications.length === 0)
        return replace(
          body,
          emptyState(
            'No notifications for this alarm.',
            'No routing rule matched it, or it was raised before routing was set up.',
          ),
        );
      replace(
        body,
        r.escalation ? h('p', null, 'Escalation: ', escalationCell(r.escalation)) : null,
        h(
          'table',
          { class: 'table table-responsive', testid: 'notification-table' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['When', 'Channel', 'Recipient', 'Why', 'State', 'Provider response'].map((t) =>
                h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          h(
            'tbody',
            null,
            r.notifications.map((n) =>
              h(
                'tr',
                { testid: `notification-${n.id}` },
                h('td', { 'data-label': 'When', class: 'cell-nowrap' }, absTime(n.sentAt ?? n.createdAt)),
                h('td', { 'data-label': 'Channel' }, humanize(n.channel)),
                h('td', { 'data-label': 'Recipient', class: 'cell-wrap' }, n.recipient),
                h(
                  'td',
                  { 'data-label': 'Why' },
                  n.escalationLevel ? `Escalation level ${n.escalationLevel}` : humanize(n.event),
                ),
                h(
                  'td',
                  { 'data-label': 'State' },
                  badge(STATE_TONE[n.state] ?? 'neutral', humanize(n.state)),
                  h(
                    'div',
                    { class: 'muted small' },
                    `${n.attempts} attempt${n.attempts === 1 ? '' : 's'}${n.state === 'pending' && n.nextAttemptAt ? `, next ${relTime(n.nextAttemptAt)}` : ''}`,
                  ),
                ),
                h(
                  'td',
                  { 'data-label': 'Provider response', class: 'cell-wrap small' },
                  n.attemptLog.length
                    ? h(
                        'ul',
                        { class: 'attempt-log' },
                        n.attemptLog.map((x) =>
                          h(
                            'li',
                            { class: x.ok ? '' : 'attempt-failed' },
                            `${absTime(x.at).slice(11, 19)} ${x.response}`,
                          ),
                        ),
                      )
                    : (n.lastResponse ?? '–'),
                ),
              ),
            ),
          ),
        ),
      );
    },
    (err) => replace(body, errorBox(describeError(err))),
  );
  await openDialog<void>(
    `Notifications: ${humanize(a.rule)} on ${a.subject}`,
    (close) => ({
      body,
      footer: [h('button', { type: 'button', class: 'btn', onclick: () => close(null) }, 'Close')],
    }),
    { testid: 'notifications-dialog', wide: true },
  );
}
