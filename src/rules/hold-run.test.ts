import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { continueRun, extendRun, type HoldRun, startRun } from './hold-run.ts';

/** Folds readings (`1`: shows the condition) taken every 10 s; the run after each, or undefined. */
function fold(pattern: string, share: number): (HoldRun | undefined)[] {
  let run: HoldRun | undefined;
  return [...pattern].map((c, i) => {
    run = continueRun(run, i * 10_000, c === '1', share);
    return run;
  });
}

describe('hold run (alarm condition delay)', () => {
  it('counts the time between two readings half for each end showing the condition', () => {
    const run = extendRun(extendRun(startRun(0), 10_000, true, 0.5) as HoldRun, 20_000, false, 0.5);
    assert.deepEqual(run, { since: 0, lastTs: 20_000, heldMs: 15_000, lastOn: false });
  });

  it('share 1: every reading must show the condition; the first that does not ends the run', () => {
    assert.deepEqual(
      fold('1101', 1).map((r) => r?.since),
      [0, 0, undefined, 30_000],
    );
  });

  it('share 2/3: one reading out does not end a run, two in a row soon do', () => {
    assert.deepEqual(
      fold('11101111', 2 / 3).map((r) => r?.since),
      [0, 0, 0, 0, 0, 0, 0, 0],
    );
    assert.deepEqual(
      fold('111001', 2 / 3).map((r) => r?.since),
      [0, 0, 0, 0, undefined, 50_000],
    );
  });

  it('a lone reading starts a run that the next reading out ends', () => {
    assert.deepEqual(
      fold('0100', 2 / 3).map((r) => r?.since),
      [undefined, 10_000, undefined, undefined],
    );
  });
});
