import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flipBit } from './tampering.ts';

describe('flipBit', () => {
  const json =
    '{"v":1,"dev":"truck-0042","seq":1842,"ts":1795305600123,"kid":1,"alg":"A256GCM","n":"AAAAAAAAAAAAAAAA","b":"abcd","mac":"zzzz"}';

  it('changes exactly one bit of the named field and nothing else', () => {
    for (const field of ['v', 'dev', 'seq', 'ts', 'kid', 'alg', 'n', 'b', 'mac'] as const) {
      const out = flipBit(json, field);
      assert.equal(out.length, json.length);
      const diff = [...out]
        .map((c, i) => (c === json[i] ? 0 : c.charCodeAt(0) ^ json.charCodeAt(i)))
        .filter((d) => d !== 0);
      assert.deepEqual(diff, [1], field);
    }
  });

  it('keeps numbers numbers (the last digit flips)', () => {
    assert.match(flipBit(json, 'seq'), /"seq":1843,/);
    assert.match(flipBit(json, 'v'), /"v":0,/);
  });
});
