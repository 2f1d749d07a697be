import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deviceLabelsInput, LABEL_MAX, takesLabels } from './device-labels.ts';
import { DEVICE_PROFILES } from './device-profile.ts';

/** The first issue's message, or null when the input parses. */
const problem = (input: unknown): string | null => {
  const r = deviceLabelsInput.safeParse(input);
  return r.success ? null : (r.error.issues[0]?.message ?? 'no message');
};

describe('device labels', () => {
  it('trims a label and clears it when empty or null', () => {
    assert.deepEqual(deviceLabelsInput.parse({ bed: '  Bed 4 ', ward: 'Ward B, cardiology' }), {
      bed: 'Bed 4',
      ward: 'Ward B, cardiology',
    });
    assert.deepEqual(deviceLabelsInput.parse({ bed: '   ', ward: null }), { bed: null, ward: null });
  });

  it('takes at most 40 characters after trimming', () => {
    assert.equal(LABEL_MAX, 40);
    assert.equal(deviceLabelsInput.parse({ bed: ` ${'b'.repeat(40)} `, ward: null }).bed, 'b'.repeat(40));
    assert.equal(problem({ bed: 'b'.repeat(41), ward: null }), 'at most 40 characters');
  });

  it('refuses control and formatting characters anywhere in a label', () => {
    for (const c of ['\u0000', '\u001b', '\u007f', '\u200e', '\u2028', '\u2029']) {
      assert.equal(
        problem({ bed: `Bed${c}4`, ward: null }),
        'no control or formatting characters',
        JSON.stringify(c),
      );
    }
    // At either end (trimming removes only white space: the line separators, not these).
    for (const c of ['\u0000', '\u001b', '\u007f', '\u200e']) {
      assert.equal(problem({ bed: `${c}Bed 4`, ward: null }), 'no control or formatting characters');
      assert.equal(problem({ bed: `Bed 4${c}`, ward: null }), 'no control or formatting characters');
    }
    assert.equal(problem({ bed: 'Lit 4 – Station B, Kardiologie ü', ward: null }), null);
  });

  it('needs both fields and nothing else', () => {
    assert.notEqual(problem({ bed: 'Bed 4' }), null);
    assert.notEqual(problem({ bed: 'Bed 4', ward: null, room: '12' }), null);
    assert.notEqual(problem({ bed: 4, ward: null }), null);
  });

  it('lets only patient monitors carry labels', () => {
    assert.deepEqual(
      DEVICE_PROFILES.filter((p) => takesLabels(p)),
      ['patient-vitals'],
    );
  });
});
