import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { placeMatches, placeText } from '../web/src/device-place.ts';
import { gapsMs, ms, msOrNull } from '../web/src/instant.ts';

describe('dashboard: a patient monitor’s place', () => {
  it('reads ward then bed, either alone, nothing when unset or not sent', () => {
    assert.equal(placeText({ ward: 'Ward C', bed: 'Bed 14' }), 'Ward C · Bed 14');
    assert.equal(placeText({ ward: null, bed: 'Bed 14' }), 'Bed 14');
    assert.equal(placeText({ ward: 'Ward C', bed: null }), 'Ward C');
    assert.equal(placeText({ ward: null, bed: null }), null);
    assert.equal(placeText(undefined), null);
  });

  it('is found by the fleet search, case-insensitively', () => {
    assert.equal(placeMatches({ ward: 'Ward C – cardiology', bed: 'Bed 14' }, 'CARDIO'), true);
    assert.equal(placeMatches({ ward: 'Ward C', bed: 'Bed 14' }, 'bed 1'), true);
    assert.equal(placeMatches({ ward: 'Ward C', bed: null }, 'icu'), false);
    assert.equal(placeMatches(undefined, 'ward'), false);
  });
});

describe('dashboard: times from the API', () => {
  it('reads ISO 8601 UTC as ms and passes ms through', () => {
    assert.equal(ms('2026-12-06T19:34:09.123Z'), Date.UTC(2026, 11, 6, 19, 34, 9, 123));
    assert.equal(ms(1_000), 1_000);
    assert.ok(Number.isNaN(ms('yesterday')));
    assert.equal(msOrNull(null), null);
    assert.equal(msOrNull(undefined), null);
  });

  it('turns a series’ gaps into ms, oldest first', () => {
    assert.deepEqual(
      gapsMs([
        { from: '1970-01-01T00:00:05.000Z', to: '1970-01-01T00:00:06.000Z' },
        { from: '1970-01-01T00:00:01.000Z', to: '1970-01-01T00:00:02.000Z' },
      ]),
      [
        { from: 1000, to: 2000 },
        { from: 5000, to: 6000 },
      ],
    );
  });
});
