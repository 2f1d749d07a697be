/**
 * Label de-collision for map markers: each label tries right, left, above and below its marker
 * and takes the first place inside the view that overlaps no label or marker placed before it;
 * a label that fits nowhere is left out (its marker still shows, with the text as its tooltip).
 * Items are placed in the order given, so the caller puts the most important first.
 */
export interface LabelItem {
  id: string;
  text: string;
  /** The marker's screen position. */
  xy: [number, number];
}

export interface PlacedLabel {
  x: number;
  y: number;
  anchor: 'start' | 'end' | 'middle';
}

type Box = [number, number, number, number];

export function placeLabels(
  items: LabelItem[],
  width: number,
  height: number,
): Map<string, PlacedLabel | null> {
  const placed: Box[] = [];
  const out = new Map<string, PlacedLabel | null>();
  const overlaps = (a: Box, b: Box) => a[0] < b[2] && a[2] > b[0] && a[1] < b[3] && a[3] > b[1];
  for (const { id, text, xy } of items) {
    const [x, y] = xy;
    const w = text.length * 6.6 + 8;
    const candidates: (PlacedLabel & { box: Box })[] = [
      { x: x + 11, y: y + 4, anchor: 'start', box: [x + 9, y - 9, x + 11 + w, y + 8] },
      { x: x - 11, y: y + 4, anchor: 'end', box: [x - 11 - w, y - 9, x - 9, y + 8] },
      { x, y: y - 13, anchor: 'middle', box: [x - w / 2, y - 26, x + w / 2, y - 9] },
      { x, y: y + 21, anchor: 'middle', box: [x - w / 2, y + 9, x + w / 2, y + 26] },
    ];
    const ok = candidates.find(
      ({ box }) =>
        box[0] >= 0 &&
        box[2] <= width &&
        box[1] >= 0 &&
        box[3] <= height &&
        !placed.some((b) => overlaps(box, b)),
    );
    if (ok) {
      placed.push(ok.box);
      out.set(id, { x: ok.x, y: ok.y, anchor: ok.anchor });
    } else out.set(id, null);
    // The marker itself is an obstacle for later labels.
    placed.push([x - 8, y - 8, x + 8, y + 8]);
  }
  return out;
}
