/**
 * What a caller passes for a model's options: any option may be left out, and in the nested rate
 * table `K` (incidents, anomalies) any single rate, the rest taken from the model's defaults.
 */
export type OptionsInput<O, K extends keyof O> = Partial<Omit<O, K>> & { [P in K]?: Partial<O[P]> };
