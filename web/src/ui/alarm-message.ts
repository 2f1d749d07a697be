/**
 * An alarm's message as shown on the pages. An open data-gap alarm's message ("No data for
 * 35 min so far (limit 30 min)", src/rules/data-gap-rule.ts) was written when the server last
 * looked; the silence goes on, so its duration is counted on here from the gap's start and
 * rewritten with the page's clock (`refreshAlarmMessages`, every few seconds), in the same whole
 * minutes and words as the server's.
 */
import { formatDuration } from '../../../src/rules/format.ts';
import { h } from '../dom.ts';
import { ms } from '../instant.ts';
import type { Alarm } from '../types.ts';

const MINUTE = 60_000;
const OPEN_GAP = /^No data for .+? so far(.*)$/;

function gapText(since: number, rest: string, now: number): string {
  const ms = Math.max(0, Math.floor((now - since) / MINUTE) * MINUTE);
  return `No data for ${formatDuration(ms)} so far${rest}`;
}

/** The message: text, or for an open data-gap alarm an element that keeps its duration live. */
export function alarmMessage(
  a: Pick<Alarm, 'rule' | 'message' | 'startedAt' | 'resolvedAt'>,
  now = Date.now(),
): string | HTMLElement {
  const m = a.rule === 'data-gap' && a.resolvedAt === null ? OPEN_GAP.exec(a.message) : null;
  if (!m) return a.message;
  const rest = m[1] ?? '';
  const el = h('span', { class: 'gap-live', testid: 'gap-message' }, gapText(ms(a.startedAt), rest, now));
  el.dataset.since = String(ms(a.startedAt));
  el.dataset.rest = rest;
  return el;
}

/** Rewrites every live gap message under `root` (called with the relative times). */
export function refreshAlarmMessages(root: ParentNode, now = Date.now()): void {
  for (const el of root.querySelectorAll<HTMLElement>('span.gap-live[data-since]')) {
    const text = gapText(Number(el.dataset.since), el.dataset.rest ?? '', now);
    if (el.textContent !== text) el.textContent = text;
  }
}
