/**
 * Receiver's delivery confirmation: pick the shipment in transit (or come from its page), type
 * the delivery token the logger shows on its display, confirm. A match records proof of delivery
 * (who, when, where from the last GPS fix) and closes the trip. Wrong tokens are refused, counted
 * and audited by the server; after too many the page counts down the server's `Retry-After`.
 * The token is only sent in the request body: never put in the URL, stored or shown back.
 */
import { ApiError, api, describeError, fmtWait } from '../api.ts';
import type { Page } from '../context.ts';
import { h, replace } from '../dom.ts';
import { absTime } from '../format.ts';
import { profileLabel } from '../shipment-view.ts';
import type { ShipmentDetailView, ShipmentView } from '../types.ts';
import { emptyState, errorBox, field, loading, pageHeader } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { actorName, placeName, routeText, shipmentStateBadge } from '../ui/shipment-bits.ts';
import './shipments.css';

/** What the logger generates (src/protocol/bodies.ts dispatch `token`). */
const TOKEN_RE = /^[A-Za-z0-9_-]{6,64}$/;

export const deliveryPage: Page = (root, ctx, params) => {
  let stopped = false;
  let shipments: ShipmentView[] = [];
  let countdown: ReturnType<typeof setInterval> | null = null;
  let blockedUntil = 0;

  const select = h('select', { testid: 'deliver-shipment', required: true });
  const token = h('input', {
    type: 'text',
    class: 'token-input',
    autocomplete: 'off',
    autocapitalize: 'off',
    autocorrect: 'off',
    spellcheck: 'false',
    maxlength: 64,
    required: true,
    testid: 'deliver-token',
    placeholder: 'As shown on the logger',
  });
  const submit = h(
    'button',
    { type: 'submit', class: 'btn btn-primary btn-block', testid: 'deliver-submit' },
    icon('check'),
    'Confirm delivery',
  );
  const chosen = h('div', { class: 'deliver-chosen' });
  const result = h('div', {
    testid: 'deliver-result',
    role: 'status',
    'aria-live': 'polite',
    class: 'deliver-result',
  });
  const body = h('div', null, loading('Loading shipments in transit…'));

  replace(
    root,
    pageHeader(
      'Confirm a delivery',
      'Type the delivery token shown on the logger’s display. A match records who received the shipment, when and where.',
    ),
    h(
      'div',
      { class: 'deliver-layout' },
      h('section', { class: 'card deliver-card' }, h('div', { class: 'card-body' }, body)),
    ),
  );

  function form(): HTMLElement {
    const f = h(
      'form',
      { class: 'deliver-form', novalidate: true },
      field('Shipment', select, 'Shipments in transit.'),
      chosen,
      field(
        'Delivery token',
        token,
        'Letters, digits, “-” and “_”, 6 to 64 characters. It is checked by the server and never stored.',
      ),
      submit,
      result,
    );
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void confirm();
    });
    select.addEventListener('change', () => {
      renderChosen();
      clearResult();
    });
    token.addEventListener('input', () => {
      if (result.dataset.outcome === 'error') clearResult();
    });
    return f;
  }

  function current(): ShipmentView | undefined {
    return shipments.find((s) => s.id === select.value);
  }

  function renderChosen(): void {
    const s = current();
    if (!s) return void replace(chosen);
    replace(
      chosen,
      h(
        'dl',
        { class: 'kv kv-compact' },
        h('dt', null, 'State'),
        h('dd', null, shipmentStateBadge(s.state)),
        h('dt', null, 'Route'),
        h('dd', null, routeText(s)),
        h('dt', null, 'Logger'),
        h('dd', null, s.deviceId || '–'),
        h('dt', null, 'Profile'),
        h('dd', null, profileLabel(s)),
        s.dispatch ? [h('dt', null, 'Dispatched'), h('dd', null, absTime(s.dispatch.at))] : null,
        s.dispatch?.batchId
          ? [h('dt', null, 'Batch id'), h('dd', null, h('code', null, s.dispatch.batchId))]
          : null,
      ),
    );
  }

  function clearResult(): void {
    if (Date.now() < blockedUntil) return;
    delete result.dataset.outcome;
    result.className = 'deliver-result';
    replace(result);
  }

  function show(outcome: 'ok' | 'error' | 'limited', ...children: (HTMLElement | string | null)[]): void {
    result.dataset.outcome = outcome;
    result.className = `deliver-result alert ${outcome === 'ok' ? 'alert-ok' : outcome === 'limited' ? 'alert-warn' : 'alert-bad'}`;
    result.setAttribute('role', outcome === 'ok' ? 'status' : 'alert');
    replace(
      result,
      icon(outcome === 'ok' ? 'check' : outcome === 'limited' ? 'clock' : 'alert'),
      h('div', null, children),
    );
  }

  function limited(seconds: number): void {
    blockedUntil = Date.now() + seconds * 1000;
    submit.disabled = true;
    const text = h('span', null);
    const tick = () => {
      const left = Math.ceil((blockedUntil - Date.now()) / 1000);
      if (left <= 0 || stopped) {
        if (countdown) clearInterval(countdown);
        countdown = null;
        submit.disabled = false;
        if (!stopped) {
          show(
            'limited',
            h('strong', null, 'You can try again now.'),
            h('div', null, 'Check the token on the logger’s display.'),
          );
        }
        return;
      }
      text.textContent = fmtWait(left);
    };
    show(
      'limited',
      h('strong', null, 'Too many wrong tokens.'),
      h('div', null, 'For security, tries are paused. Try again in ', text, '. Each attempt is recorded.'),
    );
    tick();
    if (countdown) clearInterval(countdown);
    countdown = setInterval(tick, 1000);
  }

  async function confirm(): Promise<void> {
    const s = current();
    const value = token.value.replace(/\s+/g, '');
    if (!s) return show('error', h('strong', null, 'Choose the shipment first.'));
    if (!TOKEN_RE.test(value))
      return show(
        'error',
        h('strong', null, 'That is not a delivery token.'),
        h('div', null, 'A token is 6 to 64 letters, digits, “-” or “_”, exactly as the logger shows it.'),
      );
    submit.disabled = true;
    try {
      const r = await api<{ shipment: ShipmentView }>(`/shipments/${encodeURIComponent(s.id)}/deliver`, {
        method: 'POST',
        body: { token: value },
        quiet401: true,
      });
      token.value = '';
      const done = r.shipment;
      const d = done.delivery;
      const by = d?.by ? actorName(d.by) : ctx.me.name;
      const where =
        d && d.lat !== null && d.lon !== null
          ? `${d.lat.toFixed(4)}, ${d.lon.toFixed(4)}${d.fixAt ? ` (GPS fix of ${absTime(d.fixAt)})` : ''}`
          : 'no GPS fix recorded';
      show(
        'ok',
        h('strong', null, `Delivery of ${s.id} confirmed.`),
        h(
          'dl',
          { class: 'kv kv-compact' },
          h('dt', null, 'Delivered at'),
          h('dd', { testid: 'deliver-at' }, absTime(d?.at ?? Date.now())),
          h('dt', null, 'By'),
          h('dd', { testid: 'deliver-by' }, by),
          h('dt', null, 'Location'),
          h('dd', { testid: 'deliver-where' }, where),
          h('dt', null, 'Destination'),
          h('dd', null, placeName(done.destination)),
        ),
        h('a', { href: `#/shipment/${encodeURIComponent(s.id)}` }, 'Open the shipment record'),
      );
      // The delivered shipment leaves the list of those in transit.
      shipments = shipments.filter((x) => x.id !== s.id);
      // No other shipment is picked for the receiver: the next one is a new, deliberate choice.
      fillSelect('', false);
      submit.disabled = false;
    } catch (err) {
      submit.disabled = false;
      if (err instanceof ApiError && err.status === 429) {
        token.value = '';
        limited(err.retryAfterS ?? 60);
        return;
      }
      if (
        err instanceof ApiError &&
        (err.code === 'VIGIL_ERR_DELIVERY_TOKEN' || (err.status === 403 && /token/i.test(err.message)))
      ) {
        token.select();
        show(
          'error',
          h('strong', null, 'Wrong delivery token.'),
          h(
            'div',
            null,
            'It does not match this shipment. Check the token on the logger’s display and type it again. Wrong tokens are recorded, and after a few tries are paused.',
          ),
        );
        return;
      }
      if (err instanceof ApiError && err.code === 'VIGIL_ERR_SHIPMENT_STATE') {
        show(
          'error',
          h('strong', null, 'This shipment cannot be delivered now.'),
          h('div', null, 'It is not in transit (already delivered or closed). Reload the list.'),
        );
        return;
      }
      if (err instanceof ApiError && err.status === 401) {
        show(
          'error',
          h('strong', null, 'Your session has ended.'),
          h('div', null, 'Sign in again and retry.'),
        );
        return;
      }
      show('error', h('strong', null, 'Delivery not confirmed.'), h('div', null, describeError(err)));
    }
  }

  function fillSelect(preferred: string | null, autoPick = true): void {
    const keep = preferred ?? select.value;
    select.replaceChildren(
      h('option', { value: '' }, shipments.length ? 'Choose a shipment…' : 'No shipment in transit'),
      ...shipments.map((s) =>
        h(
          'option',
          { value: s.id },
          `${s.id} · ${s.deviceId} · ${placeName(s.origin)} → ${placeName(s.destination)}`,
        ),
      ),
    );
    select.value = shipments.some((s) => s.id === keep)
      ? keep
      : autoPick && shipments.length === 1
        ? (shipments[0]?.id ?? '')
        : '';
    renderChosen();
  }

  async function load(): Promise<void> {
    try {
      const r = await api<{ shipments: ShipmentView[] }>('/shipments?state=in_transit');
      shipments = r.shipments.filter((s) => s.state === 'in_transit');
      // Coming from a shipment's page: include it even if the list is filtered differently.
      if (params.id && !shipments.some((s) => s.id === params.id)) {
        try {
          const one = await api<ShipmentDetailView>(`/shipments/${encodeURIComponent(params.id)}`);
          shipments.unshift(one.shipment);
        } catch {
          // Unknown id: the list without it.
        }
      }
    } catch (err) {
      if (stopped) return;
      replace(body, errorBox(describeError(err)));
      return;
    }
    if (stopped) return;
    replace(body, form());
    fillSelect(params.id ?? null);
    if (!shipments.length)
      replace(
        chosen,
        emptyState(
          'No shipment is in transit.',
          'A shipment is in transit from its logger’s dispatch until delivery.',
        ),
      );
    if (select.value) token.focus();
    else select.focus();
  }

  void load();
  return () => {
    stopped = true;
    if (countdown) clearInterval(countdown);
  };
};
