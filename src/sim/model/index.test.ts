import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VigilError } from '../../errors.ts';
import { SAMPLE_SCHEMAS } from '../../protocol/bodies.ts';
import { DEVICE_PROFILES, type DeviceProfile } from '../../protocol/device-profile.ts';
import { createModel, createRng, routeBetween } from './index.ts';

const START = Date.UTC(2026, 3, 1, 8, 0, 0);

function samplesOf(profile: DeviceProfile, seed: string, steps = 120) {
  const model = createModel(profile, { id: `dev-${profile}`, seed, startTs: START });
  return Array.from({ length: steps }, (_, i) => model.step(START + i * 60_000));
}

describe('createModel', () => {
  it('drives every profile through the same interface with schema-valid samples', () => {
    for (const profile of DEVICE_PROFILES) {
      const model = createModel(profile, { id: `dev-${profile}`, seed: 1, startTs: START });
      assert.equal(model.profile, profile);
      assert.equal(model.id, `dev-${profile}`);
      for (let i = 0; i < 60; i++) {
        const r = model.step(START + i * 60_000);
        assert.equal(r.sample.ts, START + i * 60_000);
        assert.equal(typeof r.connected, 'boolean');
        assert.ok(Array.isArray(r.events));
        assert.ok(
          SAMPLE_SCHEMAS[profile].safeParse(r.sample).success,
          `${profile}: ${JSON.stringify(r.sample)}`,
        );
      }
    }
  });

  it('is reproducible from a seed and differs between seeds', () => {
    for (const profile of DEVICE_PROFILES) {
      assert.deepEqual(samplesOf(profile, 'a'), samplesOf(profile, 'a'));
      assert.notDeepEqual(samplesOf(profile, 'a', 5), samplesOf(profile, 'b', 5));
    }
  });

  it('accepts an injected rng, a route and the forceExcursion shorthand for trucks', () => {
    const model = createModel('vaccine-transport', {
      id: 'truck-demo',
      rng: createRng(99),
      startTs: START,
      route: routeBetween('lagos', 'ibadan'),
      forceExcursion: true,
      options: { incidents: { connectivityLossPerHour: 0 } },
    });
    const first = model.step(START);
    assert.equal(first.events[0]?.type, 'dispatch');
    assert.equal((first.events[0] as { shipment?: string }).shipment, 'Lagos → Ibadan');
    let max = Number.NEGATIVE_INFINITY;
    for (let m = 1; m <= 90; m++) max = Math.max(max, model.step(START + m * 60_000).sample.temp_c as number);
    assert.ok(max > 8, `max ${max}`);
  });

  it('rejects an unknown profile', () => {
    assert.throws(
      () => createModel('toaster' as DeviceProfile, { id: 'x', startTs: START }),
      (e: unknown) => e instanceof VigilError && e.code === 'VIGIL_ERR_USAGE',
    );
  });
});
