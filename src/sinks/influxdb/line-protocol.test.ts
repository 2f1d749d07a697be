import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutboxReading } from '../sink-outbox.ts';
import { toLine, toLines } from './line-protocol.ts';

const reading = (over: Partial<OutboxReading> = {}): OutboxReading => ({
  id: 1,
  deviceId: 'truck-0042',
  profile: 'vaccine-transport',
  seq: 1842,
  idx: 0,
  ts: 1_795_305_600_123,
  receivedAt: 1_795_305_601_000,
  backfill: false,
  data: { temp_c: 4.6, rh_pct: 51, power: 'mains', door: null },
  ...over,
});

describe('InfluxDB line protocol', () => {
  it('writes tags, float fields, strings, seq/idx as integers and the time in ms', () => {
    assert.equal(
      toLine('readings', reading()),
      'readings,device=truck-0042,profile=vaccine-transport temp_c=4.6,rh_pct=51,power="mains",seq=1842i,idx=0i,backfill=false 1795305600123',
    );
  });

  it('escapes measurement, keys and string values as the reference says', () => {
    const line = toLine(
      'cold chain,x',
      reading({ data: { 'a b': 1, 'c,d=e': true, note: 'say "hi" \\ bye\nnow' }, backfill: true }),
    );
    assert.equal(
      line,
      'cold\\ chain\\,x,device=truck-0042,profile=vaccine-transport a\\ b=1,c\\,d\\=e=true,note="say \\"hi\\" \\\\ bye now",seq=1842i,idx=0i,backfill=true 1795305600123',
    );
  });

  it('leaves out values it cannot write (null, nested, not finite)', () => {
    const line = toLine('r', reading({ data: { a: null, b: { x: 1 }, c: Number.NaN, d: 2.5 } }));
    assert.match(line, / d=2\.5,seq=1842i,idx=0i,backfill=false /);
  });

  it('joins a batch with newlines, one line per reading', () => {
    const body = toLines('r', [reading(), reading({ seq: 1843 })]);
    assert.equal(body.split('\n').length, 3);
    assert.ok(body.endsWith('\n'));
  });
});
