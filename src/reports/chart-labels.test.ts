import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupMarks, numberList, placeLabels } from './chart-labels.ts';

describe('chart label placement', () => {
  it('keeps every label where it wants to be when there is room', () => {
    const at = placeLabels(
      [
        { x: 10, w: 20 },
        { x: 50, w: 20 },
      ],
      { min: 0, max: 100 },
    );
    assert.deepEqual(at, [10, 50]);
  });

  it('moves a label that would cover another beside it, and keeps labels inside the row', () => {
    const at = placeLabels(
      [
        { x: 10, w: 30 },
        { x: 20, w: 10 },
        { x: 95, w: 20 },
      ],
      { min: 0, max: 100, gap: 3 },
    );
    assert.deepEqual(at, [10, 43, 80]);
  });

  it('leaves a label out rather than overlap when no place is near enough, and avoids obstacles', () => {
    const at = placeLabels([{ x: 0, w: 50 }], {
      min: 0,
      max: 60,
      maxShift: 5,
      obstacles: [{ x: 10, w: 10 }],
    });
    assert.deepEqual(at, [null]);
    const beside = placeLabels([{ x: 12, w: 8 }], { min: 0, max: 60, gap: 2, obstacles: [{ x: 10, w: 6 }] });
    assert.deepEqual(beside, [18]);
  });

  it('never places two labels closer than the gap, whatever the wishes (200 random rows)', () => {
    let seed = 7;
    const rand = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed / 0x1_0000_0000;
    };
    for (let round = 0; round < 200; round++) {
      const wishes = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => ({
        x: rand() * 480,
        w: 5 + rand() * 40,
      }));
      const obstacles = [{ x: rand() * 480, w: 6.4 }];
      const at = placeLabels(wishes, { min: 0, max: 500, gap: 2, obstacles });
      const boxes = [
        ...obstacles,
        ...wishes.flatMap((w, i) => (at[i] === null ? [] : [{ x: at[i] as number, w: w.w }])),
      ];
      for (const [i, a] of boxes.entries()) {
        if (i >= obstacles.length) assert.ok(a.x >= 0 && a.x + a.w <= 500 + 1e-6);
        for (const b of boxes.slice(i + 1)) {
          assert.ok(a.x + a.w + 2 <= b.x + 1e-6 || b.x + b.w + 2 <= a.x + 1e-6, JSON.stringify({ a, b }));
        }
      }
    }
  });

  it('names a group of alarms as a run or a list', () => {
    assert.equal(numberList('A', [4, 2, 3]), 'A2–A4');
    assert.equal(numberList('A', [2, 5]), 'A2, A5');
    assert.equal(numberList('A', [1, 2, 7]), 'A1, A2, A7');
    assert.equal(numberList('A', [9]), 'A9');
  });

  it('puts a mark that would sit under the label of the marks before it into their group', () => {
    // each label reaches 10 pt right of its group's last mark; marks are 3 pt half-wide
    const g = groupMarks([{ x: 50 }, { x: 0 }, { x: 12 }, { x: 20 }, { x: 80 }], () => 10, 3);
    assert.deepEqual(g, [[{ x: 0 }, { x: 12 }, { x: 20 }], [{ x: 50 }], [{ x: 80 }]]);
    // a longer label swallows the next mark too
    const wide = groupMarks([{ x: 0 }, { x: 30 }], (group) => 20 * group.length + 15, 3);
    assert.deepEqual(wide, [[{ x: 0 }, { x: 30 }]]);
  });
});
