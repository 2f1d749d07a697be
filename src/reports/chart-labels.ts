/**
 * Where the chart's labels go so that none overlaps another (pure geometry, no drawing): marks
 * above the plot (dispatch, delivery, alarms), excursion numbers inside it, and axis dates.
 */

/** A label to place on one row: where it wants its left edge, and its width. */
export interface LabelWish {
  /** Left edge it would like, in points. */
  readonly x: number;
  readonly w: number;
}

/** Options of {@link placeLabels}. */
export interface PlaceOptions {
  /** The row's extent: a label never starts before `min` nor ends after `max`. */
  readonly min: number;
  readonly max: number;
  /** Free space kept between two labels. */
  readonly gap?: number;
  /** How far a label may move from where it wants to be before it is left out. */
  readonly maxShift?: number;
  /** Boxes already drawn on the row (marks) that no label may cover. */
  readonly obstacles?: readonly LabelWish[];
}

/**
 * Left edges for `wishes` (same order), or null for a label that found no free place within
 * `maxShift` of its wish. Labels are placed in the order given, so put the important ones first;
 * each takes its wished place when free, else the nearest free place (both sides tried).
 * Guarantee: no two placed labels, nor a label and an obstacle, are closer than `gap`, and all
 * labels lie within [min, max].
 */
export function placeLabels(wishes: readonly LabelWish[], o: PlaceOptions): (number | null)[] {
  const gap = o.gap ?? 3;
  const maxShift = o.maxShift ?? 40;
  const placed: { x: number; w: number }[] = [...(o.obstacles ?? [])];
  const free = (x: number, w: number) =>
    x >= o.min - 1e-9 &&
    x + w <= o.max + 1e-9 &&
    placed.every((p) => x + w + gap <= p.x + 1e-9 || p.x + p.w + gap <= x + 1e-9);
  return wishes.map(({ x: wish, w }) => {
    const want = Math.max(o.min, Math.min(o.max - w, wish));
    // the candidates: the wish, and every edge that touches a placed label, nearest first
    const candidates = [want, ...placed.flatMap((p) => [p.x + p.w + gap, p.x - gap - w])]
      .filter((x) => Math.abs(x - want) <= maxShift)
      .sort((a, b) => Math.abs(a - want) - Math.abs(b - want));
    const x = candidates.find((c) => free(c, w));
    if (x === undefined) return null;
    placed.push({ x, w });
    return x;
  });
}

/** `A2–A4` for a run, `A2, A5` otherwise: the label of alarms whose marks share one place. */
export function numberList(prefix: string, numbers: readonly number[]): string {
  const sorted = [...numbers].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    const a = sorted[i] as number;
    const b = sorted[j] as number;
    runs.push(
      j - i >= 2 ? `${prefix}${a}–${prefix}${b}` : j > i ? `${prefix}${a}, ${prefix}${b}` : `${prefix}${a}`,
    );
    i = j + 1;
  }
  return runs.join(', ');
}

/**
 * Marks in groups whose label fits: each group's label goes right of its last mark, so a mark
 * that would sit under that label joins the group instead (several alarms raised within minutes
 * on a month-long axis share one label, "A2–A5", rather than labels landing beside the wrong
 * mark). `labelEnd(group)` is how far right of the group's last mark its label reaches.
 */
export function groupMarks<T extends { readonly x: number }>(
  items: readonly T[],
  labelEnd: (group: readonly T[]) => number,
  markHalfWidth: number,
): T[][] {
  const sorted = [...items].sort((a, b) => a.x - b.x);
  const groups: T[][] = [];
  for (const it of sorted) {
    const g = groups[groups.length - 1];
    if (g && it.x - markHalfWidth < (g[g.length - 1] as T).x + labelEnd(g)) g.push(it);
    else groups.push([it]);
  }
  return groups;
}
