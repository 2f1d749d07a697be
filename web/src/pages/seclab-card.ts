/**
 * The security lab on the system page (`GET /api/v1/seclab`): the last `vigil seclab` report of
 * this installation (verdict counts, what was not simply refused, links to the full report), the
 * run in progress, and for admins with MFA (`seclab.run`) a button that starts a quick run.
 */
import { api, describeError } from '../api.ts';
import type { AppContext } from '../context.ts';
import { h, replace } from '../dom.ts';
import { absTime, duration } from '../format.ts';
import type { SeclabRunView, SeclabStateView } from '../types.ts';
import { badge, card, emptyState, errorBox, type Tone, toast } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';

const VERDICT_TONE: Record<string, Tone> = {
  'got through': 'bad',
  degraded: 'warn',
  error: 'bad',
  skipped: 'neutral',
  refused: 'ok',
};

function counts(r: SeclabRunView): HTMLElement {
  const s = r.summary;
  const cell = (label: string, n: number, tone: Tone, testid: string) =>
    h(
      'div',
      { class: 'mini-stat', testid },
      h('div', { class: 'mini-label' }, label),
      h('div', { class: 'mini-value' }, n > 0 && tone !== 'ok' ? badge(tone, String(n)) : String(n)),
    );
  return h(
    'div',
    { class: 'mini-stats' },
    cell('Scenarios', s.scenarios, 'ok', 'seclab-scenarios'),
    cell('Refused', s.refused, 'ok', 'seclab-refused'),
    cell('Got through', s.gotThrough, 'bad', 'seclab-got-through'),
    cell('Degraded', s.degraded, 'warn', 'seclab-degraded'),
  );
}

function lastRun(r: SeclabRunView): HTMLElement[] {
  const s = r.summary;
  const headline =
    s.gotThrough > 0
      ? badge('bad', `${s.gotThrough} attack(s) got through`, 'alert', 'seclab-verdict')
      : s.errors > 0
        ? badge('warn', `${s.errors} scenario(s) could not run`, 'alert', 'seclab-verdict')
        : badge('ok', 'Nothing got through', 'shield', 'seclab-verdict');
  const finished = Date.parse(r.finishedAt);
  return [
    h(
      'div',
      { class: 'row gap wrap' },
      headline,
      badge('neutral', `--${r.mode}`),
      h(
        'span',
        { class: 'muted small' },
        `${absTime(finished)} · ${duration(Math.round(r.durationMs / 1000))} · ${r.target === 'throwaway' ? 'throwaway instance' : 'this installation'}`,
      ),
    ),
    counts(r),
    s.worstDegradation
      ? h(
          'p',
          { class: 'muted small' },
          `Worst degradation: ${s.worstDegradation.id}, good device p99 ${s.worstDegradation.p99Ratio.toFixed(1)}x its baseline.`,
        )
      : null,
    r.notable.length
      ? h(
          'ul',
          { class: 'plain-list', testid: 'seclab-notable' },
          r.notable
            .slice(0, 8)
            .map((n) =>
              h(
                'li',
                null,
                badge(VERDICT_TONE[n.verdict] ?? 'neutral', n.verdict),
                ' ',
                h('code', null, n.id),
                h('div', { class: 'muted small' }, n.observed),
              ),
            ),
        )
      : h('p', { class: 'muted small' }, `Every attack was refused (families: ${r.families.join(', ')}).`),
    h(
      'p',
      { class: 'row gap' },
      h(
        'a',
        { href: r.files.report, target: '_blank', rel: 'noopener', testid: 'seclab-report-link' },
        icon('download'),
        ' Full report',
      ),
      h('a', { href: r.files.json, target: '_blank', rel: 'noopener' }, 'JSON'),
    ),
  ].filter((x): x is HTMLElement => x !== null);
}

/** The card, refreshing itself every 5 s while a run is in progress. Returns its clean-up. */
export function seclabCard(ctx: AppContext): { el: HTMLElement; stop: () => void } {
  const body = h('div', null);
  const actions = h('div', null);
  const el = card([icon('shield'), ' Security lab'], body, { testid: 'system-seclab', actions });
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let starting = false;

  function render(s: SeclabStateView | null, err: unknown): void {
    const canRun = ctx.can('seclab.run');
    replace(
      actions,
      canRun
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small',
              testid: 'seclab-run',
              disabled: starting || s?.running ? true : undefined,
              title: 'vigil seclab --quick against a throwaway Vigil (about 2 minutes)',
              onclick: () => void start(),
            },
            s?.running ? 'Running…' : 'Run quick attack',
          )
        : null,
    );
    if (err) {
      replace(body, errorBox(describeError(err)));
      return;
    }
    replace(
      body,
      s?.running
        ? h(
            'p',
            { class: 'row gap', testid: 'seclab-running' },
            h('span', { class: 'spinner', 'aria-hidden': 'true' }),
            `A quick run started ${absTime(Date.parse(s.running.startedAt))} is attacking a throwaway instance.`,
          )
        : null,
      s?.latest
        ? lastRun(s.latest)
        : emptyState(
            'No seclab report yet.',
            'Run `vigil seclab --data-dir DIR` on this machine, or start a quick run here: it attacks a throwaway Vigil and reports what got through.',
          ),
    );
  }

  async function refresh(): Promise<void> {
    let state: SeclabStateView | null = null;
    let err: unknown = null;
    try {
      state = await api<SeclabStateView>('/seclab');
    } catch (e) {
      err = e;
    }
    if (stopped) return;
    render(state, err);
    if (state?.running) timer = setTimeout(() => void refresh(), 5000);
  }

  async function start(): Promise<void> {
    starting = true;
    try {
      await api('/seclab/runs', { method: 'POST' });
      toast('Quick seclab run started', 'ok');
    } catch (e) {
      toast(describeError(e), 'bad');
    }
    starting = false;
    if (timer) clearTimeout(timer);
    await refresh();
  }

  void refresh();
  return {
    el,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
