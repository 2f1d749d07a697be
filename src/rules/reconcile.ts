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
 *    move earlier, `resolvedAt` can move to the reading that really ended the condition.
 * 3. The open alarm A:
 *    - matched, still holding: stays open. An `updated` transition reports a changed start,
 *      raise time, severity or peak; peaks that are durations (unit `ms`) and messages grow with
 *      every reading and are refreshed silently (`openAlarms()` shows them; `resolved` carries
 *      the final values).
 *    - matched, ended: resolved at the episode's end.
 *    - not matched, but an ongoing episode that has met its criterion covers A's start: A stays
 *      open with it (a cumulative budget: time already spent stays spent).
 *    - otherwise late data showed the condition was not met as A claimed: A is resolved at the
 *      end of the episode that contained its start (or else at the first reading after its
 *      start) and, when it is disprovable (below), marked `disproved` with the reason, keeping
 *      the facts it was raised on (a `disproved` transition).
 * 4. A resolved alarm whose end lies in the re-evaluated stretch is matched again: matched by an
 *    ended episode, its facts are corrected (an `updated` transition carrying the resolved
 *    alarm); covered by an episode still running, it stays as it is (never re-opened); matched
 *    by nothing, it is disproved when disprovable (a `disproved` transition). It is never
 *    deleted.
 * 5. Disprovable: the rule judges data, not the clock (a data gap was real when it was alarmed,
 *    whatever arrives later); the readings held reach back to the alarm's start (readings before
 *    them are not judged again); and the rule's criterion is the one the alarm was raised by (an
 *    alarm of an older profile is not re-judged by a newer one). A disproved alarm is final: it
 *    is not matched again and does not stand in the way of new alarms.
 * 6. Every other raised episode becomes a new alarm unless its period overlaps the period of an
 *    existing alarm of the same rule (open, or resolved and not disproved) or starts or is raised
 *    at the same instant as one: late data of a period that already had its alarm never opens a
 *    second one. A new episode that has already ended (found in backfill) is opened and resolved
 *    at once. Alarms raised more than `lateToleranceMs` before `now` are marked `detectedLate`.
 *
 * The final alarms that are not disproved therefore do not depend on the order in which buffered
 * data arrived; disproved ones record what an earlier, partial view of the data showed.
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
  /** Timestamp of the oldest reading held: nothing before it is judged again. */
  readonly dataFrom: number;
  /** Episodes ending after this were re-derived (+Infinity: nothing was). */
  readonly replayedFrom: number;
  /** The rule's {@link RuleNode.judgedBy}. */
  readonly judgedBy?: 'data' | 'clock';
  /** The rule's {@link RuleNode.criterion}. */
  readonly criterion?: string;
}

export function alarmId(subject: string, rule: string, raisedAt: number): string {
  return `${subject}/${rule}/${raisedAt}`;
}

/**
 * `id`, or `id.2`, `id.3`, ... when an alarm of the book already has it: an alarm keeps the id it
 * opened with while its facts follow the data, so a later alarm can be raised at the instant an
 * earlier one was first raised at (late data split one stretch into two).
 */
function freshId(book: RuleAlarmBook, id: string): string {
  const taken = (x: string) => book.open?.id === x || book.closed.some((c) => c.id === x);
  let out = id;
  for (let n = 2; taken(out); n++) out = `${id}.${n}`;
  return out;
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

/** What the data shows instead of an alarm's condition. */
function disproof(container: Episode | undefined, at: number): Alarm['disproved'] {
  const reason = container
    ? `Readings that arrived later show: ${container.message}`
    : 'Readings that arrived later show the condition did not hold';
  return { at, reason };
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
  const criterion = ctx.criterion ?? '';
  const used = new Set<Episode>();
  const close = (type: 'resolved' | 'disproved', a: Alarm, resolvedAt: number) => {
    const done: Alarm = { ...a, state: 'resolved', resolvedAt };
    out.push({ type, alarm: done, at: now });
    // a backfilled episode opened and closed at once must not take the open alarm with it
    if (book.open?.id === a.id) book.open = undefined;
    book.closed.push(done);
  };
  const disprovable = (x: Alarm) =>
    ctx.judgedBy !== 'clock' && x.startedAt >= ctx.dataFrom && (x.criterion ?? '') === criterion;
  // the episode that contained an alarm's start (the start of the held data for an older alarm)
  const containerOf = (x: Alarm) => {
    const from = Math.max(x.startedAt, ctx.dataFrom);
    return episodes.find((e) => e.startedAt <= from && (e.endedAt === undefined || e.endedAt > x.startedAt));
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
      const container = containerOf(a);
      const ongoing = container && container.endedAt === undefined;
      if (ongoing && (container.raisedAt !== undefined || !disprovable(a))) matched = container;
      else {
        const resolvedAt = container?.endedAt ?? ctx.firstReadingAfter(a.startedAt) ?? a.startedAt;
        if (disprovable(a)) close('disproved', { ...a, disproved: disproof(container, now) }, resolvedAt);
        else close('resolved', a, resolvedAt);
      }
    }
    if (matched) {
      used.add(matched);
      const next = follow(a, matched);
      if (matched.endedAt !== undefined) {
        close('resolved', next, matched.endedAt);
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

  book.closed.forEach((c, i) => {
    // only alarms whose end was re-evaluated, judged by this rule's criterion, and still standing
    if (c.disproved || !((c.resolvedAt ?? Number.POSITIVE_INFINITY) > ctx.replayedFrom)) return;
    if ((c.criterion ?? '') !== criterion || out.some((t) => t.alarm === c)) return;
    const e = matchFor(c, true);
    if (e) {
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
    } else if (!matchFor(c, false) && disprovable(c)) {
      const next: Alarm = { ...c, disproved: disproof(containerOf(c), now) };
      book.closed[i] = next;
      out.push({ type: 'disproved', alarm: next, at: now });
    }
  });

  for (const e of episodes) {
    if (used.has(e) || e.raisedAt === undefined) continue;
    if (book.open && (e.endedAt === undefined || overlaps(e, book.open))) continue;
    if (book.closed.some((c) => !c.disproved && overlaps(e, c))) continue;
    const alarm: Alarm = {
      id: freshId(book, alarmId(ctx.subject, ctx.rule, e.raisedAt)),
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
      ...(criterion !== '' ? { criterion } : {}),
    };
    out.push({ type: 'opened', alarm, at: now });
    if (e.endedAt !== undefined) close('resolved', alarm, e.endedAt);
    else book.open = alarm;
  }
  return out;
}
