import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetProfile } from '../coldchain/profiles.ts';
import { createRuleEngine } from './rule-engine.ts';
import { coldChainRules } from './rule-sets.ts';
import { at, brief, ofRule, reading, temps } from './rules.fixture.ts';

const fridge = presetProfile('refrigerated'); // data gap: more than 30 min without a sample
const engine = () => createRuleEngine({ rules: coldChainRules(fridge) });

describe('data gap alarm', () => {
  it('is raised by the clock once silence exceeds the limit, not when it equals it', () => {
    const e = engine();
    e.ingest('probe-1', temps(0, 100, 5), at(100));
    assert.deepEqual(e.tick(at(130), 'probe-1'), []);
    assert.deepEqual(brief(e.tick(at(131), 'probe-1')), ['opened data-gap start=100 raised=130 resolved=-']);
    // a second tick does not duplicate it
    assert.deepEqual(
      ofRule(e.tick(at(140), 'probe-1'), 'data-gap').filter((t) => t.type === 'opened'),
      [],
    );
  });

  it('is resolved by the next live reading', () => {
    const e = engine();
    e.ingest('probe-1', temps(0, 100, 5), at(100));
    e.tick(at(131));
    const out = e.ingest('probe-1', [reading(140, { temp_c: 5 })], at(140)).transitions;
    assert.deepEqual(brief(ofRule(out, 'data-gap')), ['resolved data-gap start=100 raised=130 resolved=140']);
  });

  it('a gap closed by backfill resolves the alarm, at the first backfilled reading', () => {
    const e = engine();
    e.ingest('probe-1', temps(0, 100, 5), at(100));
    e.tick(at(131));
    const out = e.ingest(
      'probe-1',
      temps(101, 140, 5).map((r) => ({ ...r, backfill: true })),
      at(141),
    ).transitions;
    assert.deepEqual(brief(ofRule(out, 'data-gap')), ['resolved data-gap start=100 raised=130 resolved=101']);
    assert.deepEqual(e.openAlarms('probe-1'), []);
  });

  it('a partly filled gap resolves the alarm and what remains is a new, late-detected gap', () => {
    const e = engine();
    e.ingest('probe-1', temps(0, 100, 5), at(100));
    e.tick(at(131));
    // at 200 min the logger delivers only up to 120 min
    const out = e.ingest('probe-1', temps(101, 120, 5), at(200)).transitions;
    assert.deepEqual(brief(ofRule(out, 'data-gap')), [
      'resolved data-gap start=100 raised=130 resolved=101',
      'opened data-gap start=120 raised=150 resolved=- late',
    ]);
  });

  it('raises nothing for a gap between samples already held: out-of-order batches may still fill it', () => {
    const e = engine();
    // the newest batch arrives before the older one (a gateway flushing out of order)
    const first = e.ingest('probe-1', [...temps(0, 10, 5), ...temps(81, 90, 5)], at(90));
    assert.deepEqual(ofRule(first.transitions, 'data-gap'), []);
    const second = e.ingest('probe-1', temps(11, 80, 5), at(91));
    assert.deepEqual(ofRule(second.transitions, 'data-gap'), []);
  });

  it('an alarm opened by the clock is resolved when the closing sample arrives in a later batch', () => {
    const e = engine();
    e.ingest('probe-1', temps(0, 10, 5), at(10));
    assert.equal(e.tick(at(41)).length, 1);
    const out = e.ingest('probe-1', [...temps(60, 70, 5), ...temps(100, 101, 5)], at(101)).transitions;
    // resolved where the gap really ended; the hole 70..100 is history, not a new alarm
    assert.deepEqual(brief(ofRule(out, 'data-gap')), ['resolved data-gap start=10 raised=40 resolved=60']);
  });

  it('door and power events do not count as data', () => {
    const e = engine();
    e.ingest('probe-1', temps(0, 10, 5), at(10));
    e.ingest('probe-1', [reading(20, { door: 'open' }, { source: 'event' })], at(20));
    assert.deepEqual(brief(e.tick(at(41))), ['opened data-gap start=10 raised=40 resolved=-']);
  });
});
