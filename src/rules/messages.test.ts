import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetProfile, resolveProfile } from '../coldchain/profiles.ts';
import { formatTempBeside } from './format.ts';
import type { Reading } from './rule.ts';
import { createRuleEngine } from './rule-engine.ts';
import { coldChainRules } from './rule-sets.ts';
import { at, ofRule, reading, temps } from './rules.fixture.ts';

const fridge = presetProfile('refrigerated');

function messages(readings: readonly Reading[], now: number, rule: string, profile = fridge): string[] {
  const e = createRuleEngine({ rules: coldChainRules(profile) });
  const out = ofRule(e.ingest('truck-1', readings, now).transitions, rule).map((t) => t.alarm.message);
  return [
    ...out,
    ...e
      .openAlarms('truck-1')
      .filter((a) => a.rule === rule)
      .map((a) => a.message),
  ];
}

describe('the gap rule in alarm messages', () => {
  it('says how much of an excursion was without data: "1 h 50 min, including 45 min without data"', () => {
    // 9 °C every 5 min until minute 60, silent for 45 min (limit 30), 9 °C at 105, back at 110
    const rs = [...temps(0, 60, 9, 5), reading(105, { temp_c: 9 }), ...temps(110, 130, 5, 5)];
    assert.deepEqual(
      messages(rs, at(130), 'warning:above').at(-1),
      'Temperature above 8.0 °C for 1 h 50 min, including 45 min without data (alarm after 15 min), peak 9.0 °C',
    );
  });

  it('runs a regulatory heat alarm on across a gap and says so', () => {
    const rs = [...temps(0, 400, 9), ...temps(431, 1031, 9)];
    assert.deepEqual(messages(rs, at(1031), 'heat'), [
      'Temperature above 8.0 °C for 17 h 11 min so far, including 31 min without data (alarm after 10 h 00 min), peak 9.0 °C',
      'Temperature above 8.0 °C for 17 h 11 min so far, including 31 min without data (alarm after 10 h 00 min), peak 9.0 °C',
    ]);
  });

  it('counts a door left open across a silent logger, and says the silence', () => {
    const rs = [reading(0, { temp_c: 5, door: 'open' }), reading(40, { temp_c: 5, door: 'closed' })];
    assert.deepEqual(messages(rs, at(40), 'door-open'), [
      'Door open for 40 min, including 40 min without data (limit 5 min)',
      'Door open for 40 min, including 40 min without data (limit 5 min)',
    ]);
  });
});

describe('temperatures in alarm messages', () => {
  it('never rounds a breach into the limit: 8.01 °C is not shown as 8.0 °C next to "above 8.0 °C"', () => {
    const [msg] = messages(temps(0, 600, 8.01), at(600), 'heat');
    assert.match(msg ?? '', /^Temperature above 8\.0 °C for 10 h 00 min so far .*, peak 8\.01 °C$/);
    const [low] = messages(temps(0, 60, -0.51), at(60), 'freeze', resolveProfile({ preset: 'refrigerated' }));
    assert.match(low ?? '', /at or below -0\.5 °C .*, lowest -0\.51 °C$/);
  });

  it('uses as many decimals as it takes to stay on the breach side, one at least', () => {
    assert.deepEqual(
      [
        formatTempBeside(8.01, 8),
        formatTempBeside(8.04, 8),
        formatTempBeside(9, 8),
        formatTempBeside(7.96, 8),
        formatTempBeside(-0.51, -0.5),
        formatTempBeside(-0.5, -0.5),
        formatTempBeside(8.0004, 8),
      ],
      ['8.01 °C', '8.04 °C', '9.0 °C', '7.96 °C', '-0.51 °C', '-0.5 °C', '8.0004 °C'],
    );
  });
});
