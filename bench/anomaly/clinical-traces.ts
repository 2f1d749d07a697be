/**
 * Clinical deterioration for the vitals rules benchmark: the simulator's own patient episodes
 * (src/sim/model/vitals-monitor.ts) at its default rates, labelled from the model itself:
 * desaturation (SpO2 down 6-15 points for 5-30 min, with a faster pulse and breathing),
 * tachycardia (pulse up 35-60 bpm for 10-60 min) and fever (temperature up 1.2-2.2 °C for
 * 3-12 h). Motion artefacts stay on (0.2 an hour), as in the normal weeks.
 */
import { createRng, DEFAULT_VITALS_ANOMALIES, type VitalsAnomalyKind } from '../../src/sim/model/index.ts';
import { type Trace, vitalsTrace } from './traces.ts';

export type ClinicalKind = Exclude<VitalsAnomalyKind, 'artefact'>;
export const CLINICAL_KINDS: readonly ClinicalKind[] = ['desaturation', 'tachycardia', 'fever'];

/** One episode: from the first sample it shows in to the first sample after it. */
export interface ClinicalLabel {
  readonly kind: ClinicalKind;
  readonly startTs: number;
  readonly endTs: number;
}

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

/** Patient `i`'s week with clinical episodes, and the episodes' labels. */
export function clinicalTrace(
  i: number,
  o: { readonly days: number; readonly stepMs: number; readonly seed: string },
): { trace: Trace; labels: ClinicalLabel[] } {
  const id = `patient-${String(i).padStart(3, '0')}`;
  const rng = createRng(`${o.seed}/clinical/${id}`);
  const startTs = T0 + Math.floor(rng.next() * 86_400) * 1000;
  const n = Math.floor((o.days * DAY_MS) / o.stepMs);
  const labels: ClinicalLabel[] = [];
  const since = new Map<ClinicalKind, number>();
  const trace = vitalsTrace({ id, rng, startTs, n, stepMs: o.stepMs }, DEFAULT_VITALS_ANOMALIES, (k, m) => {
    const ts = startTs + k * o.stepMs;
    const now = new Set(m.snapshot().anomalies);
    for (const kind of CLINICAL_KINDS) {
      const from = since.get(kind);
      if (now.has(kind) && from === undefined) since.set(kind, ts);
      else if (!now.has(kind) && from !== undefined) {
        labels.push({ kind, startTs: from, endTs: ts });
        since.delete(kind);
      }
    }
  });
  for (const [kind, from] of since) labels.push({ kind, startTs: from, endTs: startTs + n * o.stepMs });
  return { trace, labels: labels.sort((a, b) => a.startTs - b.startTs) };
}
