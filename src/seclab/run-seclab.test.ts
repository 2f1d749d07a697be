import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitCodeOf, selectScenarios, summarize } from './run-seclab.ts';
import { FAMILIES, type ScenarioResult } from './seclab-types.ts';

describe('seclab scenario selection', () => {
  it('runs every family in --quick and everything of --quick again in --full, floods and testssl only in --full', () => {
    const quick = selectScenarios('quick');
    const full = selectScenarios('full');
    for (const f of FAMILIES)
      assert.ok(
        quick.some((s) => s.family === f),
        `quick has ${f}`,
      );
    for (const s of quick) assert.ok(full.includes(s), s.id);
    assert.ok(quick.every((s) => !s.flood && s.id !== 'mitm.testssl'));
    assert.ok(full.filter((s) => s.flood).length >= 10);
    assert.equal(new Set(full.map((s) => s.id)).size, full.length, 'ids are unique');
  });

  it('every scenario names what it attacks, what is expected, the layers that stop it and what it threatens', () => {
    for (const s of selectScenarios('full')) {
      assert.ok(s.attacked.length > 20 && s.expected.length > 10, s.id);
      assert.ok(s.layers.length > 0 && s.properties.length > 0, s.id);
    }
  });

  it('picks by id or id prefix', () => {
    assert.deepEqual(
      selectScenarios('quick', ['sniff.capture', 'replay.']).map((s) => s.id),
      [
        'sniff.capture',
        'replay.inside-window',
        'replay.outside-window',
        'replay.nonce-reuse',
        'replay.future-ts',
        'replay.after-restart',
      ],
    );
  });
});

describe('seclab summary', () => {
  const result = (
    id: string,
    verdict: ScenarioResult['verdict'],
    p99?: [number, number],
  ): ScenarioResult => ({
    id,
    family: 'dos',
    title: id,
    attacked: '',
    expected: '',
    observed: '',
    verdict,
    evidence: [],
    service: { sent: 1, ok: 1, successRate: 1, p50Ms: 1, p99Ms: 1 },
    layers: ['limits'],
    properties: ['availability'],
    durationMs: 1,
    ...(p99
      ? {
          phases: {
            before: {
              sent: 1,
              ok: 1,
              successRate: 1,
              p50Ms: 1,
              p99Ms: p99[0],
              cpu: 0,
              rssMaxBytes: 0,
              logBytes: 0,
            },
            during: {
              sent: 1,
              ok: 1,
              successRate: 0.9,
              p50Ms: 1,
              p99Ms: p99[1],
              cpu: 0,
              rssMaxBytes: 0,
              logBytes: 0,
            },
            after: {
              sent: 1,
              ok: 1,
              successRate: 1,
              p50Ms: 1,
              p99Ms: 1,
              cpu: 0,
              rssMaxBytes: 0,
              logBytes: 0,
            },
            attack: {},
            timeline: [],
            attackFromMs: 0,
            attackToMs: 1,
          },
        }
      : {}),
  });

  it('counts verdicts and names the flood with the largest p99 ratio', () => {
    const s = summarize([
      result('a', 'refused'),
      result('b', 'degraded', [10, 80]),
      result('c', 'refused', [10, 20]),
      result('d', 'got through'),
      result('e', 'skipped'),
      result('f', 'error'),
    ]);
    assert.deepEqual(
      { ...s, worstDegradation: undefined },
      {
        scenarios: 6,
        refused: 2,
        gotThrough: 1,
        degraded: 1,
        skipped: 1,
        errors: 1,
        worstDegradation: undefined,
      },
    );
    assert.deepEqual(s.worstDegradation, { id: 'b', p99Ratio: 8, successRate: 0.9 });
  });

  it('exits 1 when anything got through, even beside errors; 3 for errors alone; 0 for degraded and skipped', () => {
    const base = summarize([
      result('a', 'refused'),
      result('b', 'degraded', [10, 80]),
      result('c', 'skipped'),
    ]);
    assert.equal(exitCodeOf(base), 0);
    assert.equal(exitCodeOf(summarize([result('a', 'refused'), result('f', 'error')])), 3);
    assert.equal(exitCodeOf(summarize([result('d', 'got through'), result('f', 'error')])), 1);
  });
});
