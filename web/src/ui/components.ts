/** Shared building blocks of the pages: badges, meters, cards, dialogs, toasts. */
import { type Child, cx, h } from '../dom.ts';
import { absTime, msOrNull, relTime } from '../format.ts';
import type { Device, Scalar } from '../types.ts';
import { icon } from './icons.ts';

export type Tone = 'ok' | 'warn' | 'bad' | 'off' | 'info' | 'neutral';

/** A status label: colour and text, never colour alone. */
export function badge(tone: Tone, text: string, iconName?: string, testid?: string): HTMLSpanElement {
  return h(
    'span',
    { class: `badge badge-${tone}`, testid },
    iconName ? icon(iconName) : h('span', { class: 'dot' }),
    text,
  );
}

export function deviceStatusBadge(d: Device): HTMLSpanElement {
  if (d.status === 'disabled') return badge('off', 'Disabled', 'power');
  if (d.status === 'revoked') return badge('bad', 'Revoked', 'x');
  return d.online ? badge('ok', 'Online') : badge('warn', 'Offline');
}

const POWER_LABEL: Record<string, [Tone, string, string]> = {
  mains: ['ok', 'Mains', 'plug'],
  battery: ['warn', 'Battery', 'battery'],
  backup: ['warn', 'Backup', 'bolt'],
};

export function powerBadge(power: Scalar | undefined): HTMLElement {
  if (typeof power !== 'string') return h('span', { class: 'muted' }, '–');
  const [tone, text, ic] = POWER_LABEL[power] ?? ['neutral', power, 'power'];
  return badge(tone, text, ic);
}

/** Battery level as a small bar with the percentage as text. */
export function batteryMeter(pct: Scalar | undefined): HTMLElement {
  if (typeof pct !== 'number') return h('span', { class: 'muted' }, '–');
  const p = Math.max(0, Math.min(100, pct));
  const tone = p < 15 ? 'bad' : p < 35 ? 'warn' : 'ok';
  const fill = h('span', { class: `meter-fill tone-${tone}` });
  fill.style.width = `${p}%`;
  return h(
    'span',
    { class: 'meter', title: `Battery ${Math.round(p)} %` },
    h('span', { class: 'meter-track' }, fill),
    h('span', { class: 'meter-text' }, `${Math.round(p)} %`),
  );
}

/** Signal strength as 4 bars plus dBm (RSSI: > −70 good, > −85 fair, > −100 weak). */
export function signalBars(rssi: Scalar | undefined): HTMLElement {
  if (typeof rssi !== 'number') return h('span', { class: 'muted' }, '–');
  const level = rssi > -70 ? 4 : rssi > -85 ? 3 : rssi > -100 ? 2 : 1;
  const word = ['', 'Weak', 'Fair', 'Good', 'Strong'][level];
  return h(
    'span',
    { class: 'signal', title: `${word}, ${rssi} dBm` },
    h(
      'span',
      { class: `bars bars-${level}`, 'aria-hidden': 'true' },
      [1, 2, 3, 4].map((i) => h('span', { class: cx('bar', `bar-${i}`, i <= level && 'on') })),
    ),
    h('span', { class: 'signal-text' }, `${rssi} dBm`),
  );
}

/** A relative time that the page clock keeps fresh (see `refreshTimes`). */
export function timeAgo(t: string | number | null): HTMLTimeElement {
  const ts = msOrNull(t);
  const el = h('time', { class: 'reltime', title: absTime(ts) }, relTime(ts));
  if (ts !== null) {
    el.dataset.ts = String(ts);
    el.dateTime = new Date(ts).toISOString();
  }
  return el;
}

/** Rewrites every `time.reltime` under `root` (called every few seconds). */
export function refreshTimes(root: ParentNode, now = Date.now()): void {
  for (const el of root.querySelectorAll<HTMLElement>('time.reltime[data-ts]')) {
    const text = relTime(Number(el.dataset.ts), now);
    if (el.textContent !== text) el.textContent = text;
  }
}

export function pageHeader(title: string, subtitle: Child, ...actions: Child[]): HTMLElement {
  return h(
    'div',
    { class: 'page-header' },
    h(
      'div',
      { class: 'page-title' },
      h('h1', null, title),
      subtitle ? h('p', { class: 'subtitle' }, subtitle) : null,
    ),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null,
  );
}

export function card(
  title: Child,
  body: Child,
  opts: { actions?: Child; class?: string; testid?: string } = {},
) {
  return h(
    'section',
    { class: cx('card', opts.class), testid: opts.testid },
    title || opts.actions
      ? h(
          'header',
          { class: 'card-header' },
          h('h2', null, title),
          opts.actions ? h('div', { class: 'card-actions' }, opts.actions) : null,
        )
      : null,
    h('div', { class: 'card-body' }, body),
  );
}

export function emptyState(text: string, hint?: string): HTMLElement {
  return h('div', { class: 'empty' }, h('p', null, text), hint ? h('p', { class: 'muted' }, hint) : null);
}

export function errorBox(text: string): HTMLElement {
  return h('div', { class: 'alert alert-bad', role: 'alert' }, icon('alert'), h('span', null, text));
}

export function loading(text = 'Loading…'): HTMLElement {
  return h(
    'div',
    { class: 'loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    text,
  );
}

/** A row of toggle buttons; calls `onChange` with the chosen value. */
export function segmented<T extends string>(
  label: string,
  options: { value: T; label: string; testid?: string }[],
  value: T,
  onChange: (v: T) => void,
): HTMLElement {
  const group = h('div', { class: 'segmented', role: 'group', 'aria-label': label });
  const render = (current: T) => {
    group.replaceChildren(
      ...options.map((o) =>
        h(
          'button',
          {
            type: 'button',
            class: cx('seg', o.value === current && 'active'),
            'aria-pressed': o.value === current ? 'true' : 'false',
            testid: o.testid,
            onclick: () => {
              render(o.value);
              onChange(o.value);
            },
          },
          o.label,
        ),
      ),
    );
  };
  render(value);
  return group;
}

/** A label + value pair for detail lists. */
export function kv(label: string, value: Child): HTMLElement[] {
  return [h('dt', null, label), h('dd', null, value)];
}

/**
 * A modal dialog (native <dialog>). `body` gets a `close(result)` callback; resolves with the
 * result, or null when dismissed (Escape, Cancel).
 */
export function openDialog<T>(
  title: string,
  build: (close: (result: T | null) => void) => { body: Child; footer: Child },
  opts: { testid?: string; wide?: boolean } = {},
): Promise<T | null> {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: cx('dialog', opts.wide && 'dialog-wide'), testid: opts.testid });
    let done = false;
    const close = (result: T | null) => {
      if (done) return;
      done = true;
      dlg.close();
      dlg.remove();
      resolve(result);
    };
    const { body, footer } = build(close);
    dlg.append(
      h(
        'header',
        { class: 'dialog-header' },
        h('h2', null, title),
        h(
          'button',
          { type: 'button', class: 'btn-icon', 'aria-label': 'Close', onclick: () => close(null) },
          icon('x'),
        ),
      ),
      h('div', { class: 'dialog-body' }, body),
      h('footer', { class: 'dialog-footer' }, footer),
    );
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(null);
    });
    document.body.appendChild(dlg);
    dlg.showModal();
  });
}

/** A yes/no confirmation. */
export function confirmDialog(
  title: string,
  text: string,
  confirmLabel: string,
  danger = false,
  testid?: string,
): Promise<boolean> {
  return openDialog<boolean>(
    title,
    (close) => ({
      body: h('p', null, text),
      footer: [
        h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
        h(
          'button',
          {
            type: 'button',
            class: cx('btn', danger ? 'btn-danger' : 'btn-primary'),
            testid: testid ? `${testid}-confirm` : undefined,
            onclick: () => close(true),
          },
          confirmLabel,
        ),
      ],
    }),
    { testid },
  ).then((r) => r === true);
}

let toastHost: HTMLElement | null = null;

/** A short message in the corner, announced to screen readers. */
export function toast(text: string, tone: 'ok' | 'bad' | 'info' = 'info'): void {
  if (!toastHost) {
    toastHost = h('div', { class: 'toasts', 'aria-live': 'polite', role: 'status' });
    document.body.appendChild(toastHost);
  }
  const el = h(
    'div',
    { class: `toast toast-${tone}` },
    icon(tone === 'ok' ? 'check' : tone === 'bad' ? 'alert' : 'clock'),
    h('span', null, text),
  );
  toastHost.appendChild(el);
  setTimeout(() => el.classList.add('leaving'), 4500);
  setTimeout(() => el.remove(), 5000);
}

/** A labelled form field. */
export function field(label: string, input: HTMLElement, hint?: string, errorEl?: HTMLElement): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('p', { class: 'hint' }, hint) : null,
    errorEl ?? null,
  );
}

/** A headline figure with a coloured edge and a text line (summary rows of the overview and system pages). */
export function statCard(
  label: string,
  value: string,
  tone: Tone,
  iconName: string,
  sub?: Child,
  testid?: string,
): HTMLElement {
  return h(
    'div',
    { class: `stat stat-${tone}`, testid },
    h('div', { class: 'stat-label' }, icon(iconName), label),
    h('div', { class: 'stat-value' }, value),
    sub ? h('div', { class: 'stat-sub' }, sub) : null,
  );
}
