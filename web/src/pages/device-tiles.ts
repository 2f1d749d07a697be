/** The device page's current-value tiles: a measurement against its limit, and NEWS2 first for vitals. */
import { cx, h } from '../dom.ts';
import type { News2Point } from '../news2-score.ts';
import { FIELDS, fmtField, fmtLimit, limitOf, limitState } from '../profiles.ts';
import type { Device, Reading } from '../types.ts';
import { BAND_TEXT, BAND_TONE } from './news2-panel.ts';

/** The NEWS2 parameter (src/rules/news2.ts) each vital sign field scores as. */
const NEWS2_PARAM: Record<string, string> = {
  rr_bpm: 'respiration',
  spo2_pct: 'spo2',
  sbp_mmhg: 'systolicBp',
  hr_bpm: 'pulse',
  temp_c: 'temperature',
};

export function tile(
  label: string,
  value: HTMLElement | string,
  opts: { tone?: string; sub?: string | HTMLElement | null; testid?: string; big?: boolean } = {},
) {
  return h(
    'div',
    { class: cx('tile', opts.tone && `tile-${opts.tone}`) },
    h('div', { class: 'tile-label' }, label),
    h('div', { class: cx('tile-value', opts.big && 'tile-big'), testid: opts.testid }, value),
    opts.sub ? h('div', { class: 'tile-sub' }, opts.sub) : null,
  );
}

export function measureTile(d: Device, field: string, r: Reading, testid?: string) {
  const v = r.data[field];
  const l = limitOf(d, field);
  const st = limitState(v, l);
  const tone = st === 'high' || st === 'low' ? 'bad' : st === 'ok' ? 'ok' : undefined;
  const sub =
    st === 'high'
      ? `Above limit (${fmtLimit(field, l)})`
      : st === 'low'
        ? `Below limit (${fmtLimit(field, l)})`
        : st === 'ok'
          ? `Within ${fmtLimit(field, l)}`
          : null;
  return tile(FIELDS[field]?.label ?? field, fmtField(field, v), { tone, sub, testid, big: true });
}

/** The NEWS2 total with its band and response, or why it cannot be scored. */
export function news2Tile(score: News2Point | null): HTMLElement {
  if (!score)
    return tile('NEWS2', '–', {
      sub: 'Not scored: a vital sign is missing',
      testid: 'news2-score',
      big: true,
    });
  return tile('NEWS2', String(score.total), {
    tone: BAND_TONE[score.band],
    sub: BAND_TEXT[score.band],
    testid: 'news2-score',
    big: true,
  });
}

/** A vital sign with the points it adds to NEWS2, in clinical words. */
export function vitalTile(field: string, r: Reading, score: News2Point | null, testid?: string): HTMLElement {
  const points = score?.parameters[NEWS2_PARAM[field] ?? ''];
  const sub =
    points === undefined
      ? null
      : points === 0
        ? 'NEWS2 0: normal'
        : points === 3
          ? 'NEWS2 3: single-parameter red score'
          : `NEWS2 ${points}`;
  const tone = points === undefined ? undefined : points >= 3 ? 'bad' : points > 0 ? 'warn' : 'ok';
  return tile(FIELDS[field]?.label ?? field, fmtField(field, r.data[field]), {
    tone,
    sub,
    testid,
    big: true,
  });
}
