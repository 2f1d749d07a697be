/**
 * The alarm lifecycle: turns the episodes a rule derived from the readings into alarm transitions,
 * given the alarms that already exist for that (rule, subject).
 *
 * The policy, precisely (DESIGN.md §4: old data "never re-opens a closed alarm by itself"):
 * 1. At most one open alarm per (rule, subject). State only moves open -> resolved.
 * 2. An alarm X (open or resolved) is matched to the derived episode that had already met its
 *    raise criterion at X's `raisedAt` and still held then
 *    (episode.raisedAt <= X.raisedAt <= episode.endedAt, an open episode having no end), or else
 *    to the first episode overlapping X's period that was due no later than X was raised (late
 *    data showed that X's excursion was really a different stretch of the same period). An
 *    episode due only after X.raisedAt does not confirm X: X was premature.
 *    The alarm's identity (`id`, `detectedAt`, `detectedLate`) is fixed when it opens; its data-time
 *    facts (`startedAt`, `raisedAt`, `resolvedAt`, peak, severity, message) follow the matched
 *    episode, so late data that fills in a period corrects them: `raisedAt` and `startedAt` can
 *    move earlier, `resolvedAt` can move to the reading that really ended the condition. The
 *    final alarms therefore do not depend on the order in which buffered data arrived.
 * 3. The open alarm A:
 *    - matched, still holding: stays open. An `updated` transition reports a changed start,
 *      raise time, severity or peak; peaks that are durations (unit `ms`) and messages grow with
 *      every reading and are refreshed silently (`openAlarms()` shows them; `resolved` carries
 *      the final values).
 *    - matched, ended: resolved at the episode's end.
 *    - not matched (late data showed the condition was broken before A was due): if an ongoing
 *      episode still covers A's start, A stays open with it (a cumulative budget: time already
 *      spent stays spent); otherwise A is resolved at the end of the episode that contained its
 *      start, or else at the first reading after its start. That resolution time can be earlier
 *      than `raisedAt`: the data, judged on its own timestamps, says the alarm had cleared.
 * 4. A resolved alarm matched by an ended episode is corrected (an `updated` transition carrying
 *    the resolved alarm) when its facts changed. It is never re-opened. An alarm that late data
 *    disproved altogether stays on record, resolved, with the facts it was raised on.
 * 5. Every other raised episode becomes a new alarm unless its period overlaps the period of an
 *    existing alarm of the same rule (open or resolved) or starts or is raised at the same
 *    instant as one: late data of a period that already had its alarm never opens a second one.
 *    A new episode that has already ended (found in backfill) is opened and resolved at once.
 *    Alarms raised more than `lateToleranceMs` before `now` are marked `detectedLate`.
 */
import type { Alarm, AlarmTransition, AlarmUnit, Episode } from './rule.ts';

/** The alarms of one (rule, subject). Mutated by {@link reconcileRule}. */
export interface RuleAlarmBook {
  open: Alarm | undefined;
  /** Resolved alarms still inside the engine's retention. */
  closed: Alarm[];
}

export interface ReconcileContext {
  readonly subject: string;
  readonly rule: string;
  readonly unit: AlarmUnit;
  readonly now: number;
  readonly lateToleranceMs: number;
  readonly kind?: Alarm['kind'];
  /** Timestamp of the first reading strictly after `ts`, if any. */
  firstReadingAfter(ts: number): number | undefined;
}

export function alarmId(subject: string, rule: string, raisedAt: number): string {
  return `${subject}/${rule}/${raisedAt}`;
}

function overlaps(e: Episode, p: Alarm): boolean {
  if (e.startedAt === p.startedAt || e.raisedAt === p.raisedAt) return true;
  const eEnd = e.endedAt ?? Number.POSITIVE_INFINITY;
  const pEnd = p.resolvedAt ?? Number.POSITIVE_INFINITY;
  return e.startedAt < pEnd && p.startedAt < eEnd;
}

function covers(e: Episode, raisedAt: number): boolean {
  return (
    e.raisedAt !== undefined && e.raisedAt <= raisedAt && (e.endedAt === undefined || e.endedAt >= raisedAt)
  );
}

/** The alarm's data-time facts taken from its episode. */
function follow(a: Alarm, e: Episode): Alarm {
  return {
    ...a,
    startedAt: e.startedAt,
    raisedAt: e.raisedAt ?? a.raisedAt,
    peak: e.peak,
    severity: e.severity,
    message: e.message,
  };
}

/**
 * Applies the policy above to one rule's episodes: those that ended in the re-evaluated stretch,
 * in timestamp order, followed by the one still ongoing (if any).
 */
export function reconcileRule(
  book: RuleAlarmBook,
  episodes: readonly Episode[],
  ctx: ReconcileContext,
): AlarmTransition[] {
  const out: AlarmTransition[] = [];
  const now = ctx.now;
  const used = new Set<Episode>();
  const resolve = (a: Alarm, resolvedAt: number) => {
    const done: Alarm = { ...a, state: 'resolved', resolvedAt };
    out.push({ type: 'resolved', alarm: done, at: now });
    book.open = undefined;
    book.closed.push(done);
  };

  // an alarm's episode: the one that covers its raise time, else one overlapping its period that
  // was due no later than the alarm was raised (a later-due episode means the alarm was premature)
  const matchFor = (x: Alarm, ended: boolean) =>
    episodes.find((e) => !used.has(e) && (!ended || e.endedAt !== undefined) && covers(e, x.raisedAt)) ??
    episodes.find(
      (e) =>
        !used.has(e) &&
        e.raisedAt !== undefined &&
        e.raisedAt <= x.raisedAt &&
        (!ended || e.endedAt !== undefined) &&
        overlaps(e, x),
    );

  const a = book.open;
  if (a) {
    let matched = matchFor(a, false);
    if (!matched) {
      const container = episodes.find(
        (e) => e.startedAt <= a.startedAt && (e.endedAt === undefined || e.endedAt > a.startedAt),
      );
      if (container && container.endedAt === undefined) matched = container;
      else resolve(a, container?.endedAt ?? ctx.firstReadingAfter(a.startedAt) ?? a.startedAt);
    }
    if (matched) {
      used.add(matched);
      const next = follow(a, matched);
      if (matched.endedAt !== undefined) {
        resolve(next, matched.endedAt);
      } else {
        book.open = next;
        // durations (unit ms) and messages grow with every reading: refreshed silently, not reported
        const material =
          next.startedAt !== a.startedAt ||
          next.raisedAt !== a.raisedAt ||
          next.severity !== a.severity ||
          (ctx.unit !== 'ms' && next.peak !== a.peak);
        if (material) out.push({ type: 'updated', alarm: next, at: now });
      }
    }
  }

  if (episodes.some((e) => !used.has(e) && e.raisedAt !== undefined && e.endedAt !== undefined)) {
    book.closed.forEach((c, i) => {
      const e = matchFor(c, true);
      if (!e) return;
      used.add(e);
      const next: Alarm = { ...follow(c, e), resolvedAt: e.endedAt as number };
      if (
        next.startedAt !== c.startedAt ||
        next.raisedAt !== c.raisedAt ||
        next.resolvedAt !== c.resolvedAt ||
        next.peak !== c.peak ||
        next.severity !== c.severity
      ) {
        book.closed[i] = next;
        out.push({ type: 'updated', alarm: next, at: now });
      }
    });
  }

  for (const e of episodes) {
    if (used.has(e) || e.raisedAt === undefined) continue;
    if (book.open && (e.endedAt === undefined || overlaps(e, book.open))) continue;
    if (book.closed.some((c) => overlaps(e, c))) continue;
    const alarm: Alarm = {
      id: alarmId(ctx.subject, ctx.rule, e.raisedAt),
      rule: ctx.rule,
      subject: ctx.subject,
      kind: ctx.kind ?? 'rule',
      state: 'open',
      startedAt: e.startedAt,
      raisedAt: e.raisedAt,
      detectedAt: now,
      detectedLate: now - e.raisedAt > ctx.lateToleranceMs,
      severity: e.severity,
      peak: e.peak,
      unit: ctx.unit,
      message: e.message,
    };
    out.push({ type: 'opened', alarm, at: now });
    if (e.endedAt !== undefined) resolve(alarm, e.endedAt);
    else book.open = alarm;
  }
  return out;
}
