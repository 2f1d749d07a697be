/**
 * A small seeded slice of the fuzz harness (`npm run fuzz` runs the long one): structure-aware
 * envelope mutations through the real pipeline and raw MQTT packets against the real TLS
 * listener. No crash, no unhandled rejection, nothing acknowledged and lost, memory flat.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFuzz } from './fuzz/run.ts';

describe('fuzz harness (seeded slice)', () => {
  it('survives 4000 mutated envelopes and 600 mutated MQTT packets with every acknowledged message stored', async () => {
    const r = await runFuzz({ envelopes: 4000, packets: 600, seed: 20261206 });
    assert.deepEqual(r.failures, []);
    assert.ok((r.envelopes?.accepted ?? 0) > 0, 'some envelopes were valid and accepted');
    const reasons = Object.keys(r.envelopes?.rejected ?? {});
    for (const reason of [
      'envelope_schema',
      'mac_invalid',
      'body_schema',
      'replay',
      'decrypt',
      'ts_future',
    ]) {
      assert.ok(reasons.includes(reason), `the slice reaches ${reason}`);
    }
    assert.equal(r.packets?.probes.stored, r.packets?.probes.sent, 'every probe acknowledged and stored');
  });

  it('is reproducible: the same seed gives the same outcomes', async () => {
    const a = await runFuzz({ envelopes: 1500, packets: 0, seed: 7 });
    const b = await runFuzz({ envelopes: 1500, packets: 0, seed: 7 });
    assert.deepEqual(a.envelopes?.mutations, b.envelopes?.mutations);
    assert.deepEqual(a.envelopes?.rejected, b.envelopes?.rejected);
  });
});
