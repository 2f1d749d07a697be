import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EpisodeEvent, type EpisodeOptions, initialEpisode, stepEpisode } from './episode.ts';

const MIN = 60_000;
const opts: EpisodeOptions = { persistMs: 3 * MIN, holdMs: 5 * MIN, clearBelow: 0.6, maxGapMin: 2 };

/** Runs minute scores (index = minute; null = covered) and lists what happened when. */
function run(scores: (number | null)[]): string[] {
  const st = initialEpisode();
  const out: string[] = [];
  scores.forEach((s, m) => {
    const ev: EpisodeEvent | undefined = stepEpisode(
      st,
      { minute: m, firstTs: m * MIN, lastTs: m * MIN + 50_000, score: s ?? undefined },
      opts,
    );
    if (ev?.type === 'raise') out.push(`raise@${m} start=${ev.startedAt / MIN}`);
    else if (ev?.type === 'resolve') out.push(`resolve@${m} at=${ev.resolvedAt / MIN}`);
    else if (ev?.type === 'peak') out.push(`peak@${m}`);
  });
  return out;
}

describe('statistical episodes', () => {
  it('raises only after the persistence, and one flagged minute is nothing', () => {
    assert.deepEqual(run([0, 2, 0, 0, 1.5, 1.2, 0, 0]), []);
    assert.deepEqual(run([0, 1.5, 1.2, 1.1, 0.2]), ['raise@3 start=1']);
  });

  it('holds: dips during an episode do not resolve it, a quiet stretch of the hold does, from its start', () => {
    const scores = [0, 2, 2, 2, 0.1, 0.1, 3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0];
    assert.deepEqual(run(scores), ['raise@3 start=1', 'peak@6', 'resolve@11 at=7']);
  });

  it('covered minutes break a run toward raising but neither clear nor extend an open alarm', () => {
    assert.deepEqual(run([1.5, 1.5, null, 1.5, 1.5]), []);
    const scores = [2, 2, 2, null, null, null, null, null, null, null, 0.1, 0.1, 0.1, 0.1, 0.1];
    assert.deepEqual(run(scores), ['raise@2 start=0', 'resolve@14 at=10']);
  });
});
