/**
 * Quality's release or quarantine decision (`shipments.decide`), signed with password and TOTP
 * (21 CFR 11.50 / 11.200: the signer re-enters both factors; name, time and meaning are
 * recorded). Nothing is pre-selected: the decision and the meaning of the signature are the
 * signer's own choices, never a default that a hurried click confirms.
 */
import { ApiError, api, describeError, fmtWait } from '../api.ts';
import type { AppContext } from '../context.ts';
import { cx, h } from '../dom.ts';
import { absTime } from '../format.ts';
import { DECIDABLE } from '../shipment-view.ts';
import type { ShipmentView } from '../types.ts';
import { card, errorBox, field, toast } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { actorName } from '../ui/shipment-bits.ts';

type Choice = 'released' | 'quarantined';

/** The meanings the server accepts (src/shipments/shipment.ts DECISION_MEANINGS). */
const MEANINGS: [string, string][] = [
  ['approved', 'Approved: the product is fit for use'],
  ['rejected', 'Rejected: not fit for use as it stands'],
  ['impact assessed', 'Impact assessed: the effect of the excursions was judged'],
  ['reviewed', 'Reviewed: the record was reviewed'],
];

/** The decision card: the recorded decision, and (for quality) the form while one can be taken. */
export function decisionCard(s: ShipmentView, ctx: AppContext, onDone: () => void): HTMLElement | null {
  const recorded = s.decision
    ? h(
        'div',
        {
          class: cx('alert', s.decision.state === 'released' ? 'alert-info' : 'alert-bad'),
          testid: 'decision-recorded',
        },
        icon(s.decision.state === 'released' ? 'shield' : 'alert'),
        h(
          'div',
          null,
          h(
            'strong',
            null,
            `${s.decision.state === 'released' ? 'Released' : 'Quarantined'} by ${actorName(s.decision.by)} at ${absTime(s.decision.at)}`,
          ),
          h('div', null, `Meaning: ${s.decision.meaning}`),
          h('div', null, `Reason: ${s.decision.reason}`),
        ),
      )
    : null;
  if (!ctx.can('shipments.decide')) return recorded ? card('Quality decision', recorded) : null;
  if (!DECIDABLE.includes(s.state))
    return card(
      'Quality decision',
      [
        recorded,
        h(
          'p',
          { class: 'muted' },
          s.state === 'released'
            ? 'Released: the decision is final.'
            : 'The decision is taken when the trip is over (delivered or closed).',
        ),
      ],
      { testid: 'decision-card' },
    );
  return card(
    'Quality decision',
    [
      recorded,
      h(
        'p',
        { class: 'decision-intro' },
        s.state === 'quarantined'
          ? 'The shipment is on hold. Lift the quarantine with a signed release when the product is judged fit for use.'
          : 'The trip is over. Review the temperature record and the alarms above, then sign your decision.',
      ),
      decisionForm(s, ctx, onDone),
    ],
    { testid: 'decision-card' },
  );
}

function decisionForm(s: ShipmentView, ctx: AppContext, onDone: () => void): HTMLElement {
  let choice: Choice | null = null;
  const submit = h(
    'button',
    { type: 'submit', class: 'btn btn-primary', testid: 'decision-submit' },
    'Sign decision',
  );
  const radio = (value: Choice, label: string, hint: string) => {
    const input = h('input', { type: 'radio', name: `decision-${s.id}`, value, testid: `decision-${value}` });
    input.addEventListener('change', () => {
      if (!input.checked) return;
      choice = value;
      submit.textContent = value === 'released' ? 'Sign and release' : 'Sign and quarantine';
      submit.className = cx('btn', value === 'released' ? 'btn-primary' : 'btn-danger');
    });
    return h(
      'label',
      { class: cx('choice', `choice-${value}`) },
      input,
      h('span', null, h('strong', null, label), h('span', { class: 'muted small' }, hint)),
    );
  };
  const reason = h('textarea', {
    rows: 3,
    maxlength: 500,
    required: true,
    testid: 'decision-reason',
    placeholder: 'What was reviewed and why this decision (recorded in the audit log)',
  });
  const meaning = h(
    'select',
    { required: true, testid: 'decision-meaning' },
    h('option', { value: '' }, 'Choose the meaning…'),
    MEANINGS.map(([v, label]) => h('option', { value: v }, label)),
  );
  meaning.value = '';
  const password = h('input', {
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    testid: 'decision-password',
  });
  const totp = h('input', {
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6}',
    maxlength: 6,
    required: true,
    class: 'code-input',
    testid: 'decision-totp',
  });
  const msg = h('div', { role: 'alert', testid: 'decision-error' });
  const form = h(
    'form',
    { class: 'decision-form', testid: 'decision-form', novalidate: true },
    h(
      'fieldset',
      { class: 'choices' },
      h('legend', null, 'Decision'),
      radio('released', 'Release', 'The product may be used.'),
      // A quarantined shipment can only be released (quarantining it again changes nothing).
      s.state === 'quarantined'
        ? null
        : radio('quarantined', 'Quarantine', 'Hold the product; it is not to be used.'),
    ),
    field('Reason', reason, 'At least 3 characters.'),
    field('Meaning of the signature', meaning, 'Recorded with your name and the time (21 CFR 11.50).'),
    h(
      'div',
      { class: 'esign' },
      h('p', { class: 'esign-title' }, icon('shield'), `Electronic signature of ${ctx.me.name}`),
      h('div', { class: 'esign-fields' }, field('Password', password), field('Authenticator code', totp)),
    ),
    msg,
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    const problems: string[] = [];
    if (!choice) problems.push('Choose release or quarantine.');
    if (reason.value.trim().length < 3) problems.push('Give a reason (at least 3 characters).');
    if (!meaning.value) problems.push('State the meaning of the signature.');
    if (!password.value) problems.push('Enter your password.');
    if (!/^\d{6}$/.test(totp.value.trim())) problems.push('Enter the 6-digit code from your authenticator.');
    if (problems.length || !choice) {
      msg.replaceChildren(errorBox(problems.join(' ')));
      return;
    }
    submit.disabled = true;
    try {
      await api(`/shipments/${encodeURIComponent(s.id)}/decision`, {
        method: 'POST',
        quiet401: true,
        body: {
          state: choice,
          reason: reason.value.trim(),
          meaning: meaning.value,
          password: password.value,
          totp: totp.value.trim(),
        },
      });
      password.value = '';
      totp.value = '';
      toast(choice === 'released' ? 'Shipment released.' : 'Shipment quarantined.', 'ok');
      onDone();
    } catch (err) {
      password.value = '';
      totp.value = '';
      msg.replaceChildren(errorBox(signatureError(err)));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** The words for a refused signature. */
function signatureError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401 || err.code === 'VIGIL_ERR_TOTP' || err.code === 'VIGIL_ERR_AUTH')
      return 'The signature was refused: the password or the authenticator code is wrong. Enter both again.';
    if (err.status === 429)
      return `Too many failed signatures. Try again in ${fmtWait(err.retryAfterS ?? 60)}.`;
    if (err.code === 'VIGIL_ERR_SHIPMENT_STATE')
      return 'The shipment is no longer in a state that allows this decision. Reload the page.';
  }
  return describeError(err);
}
