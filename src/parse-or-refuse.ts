/**
 * Input checked with its zod schema, or one clear refusal: VIGIL_ERR_VALIDATION naming the first
 * problem's dotted path and what is wrong (`batches.0.quantity: Too small`). The one way services
 * turn a bad input into an error, so the API, the CLI and the dashboard all read the same words.
 */
import type { z } from 'zod';
import { VigilError } from './errors.ts';

export function parseOrRefuse<S extends z.ZodType>(schema: S, input: unknown, whole = '(root)'): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new VigilError(
      'VIGIL_ERR_VALIDATION',
      `${first?.path.join('.') || whole}: ${first?.message ?? 'invalid'}`,
    );
  }
  return r.data;
}
