/**
 * Batch ids and delivery tokens as a logger makes them up at dispatch (DESIGN.md §5).
 * The token is read off the logger's display or typed by a receiver, so its alphabet leaves out
 * look-alikes (0/O, 1/I/L).
 */
import { type Rng, randomString } from '../../random/rng.ts';

export const TOKEN_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const DELIVERY_TOKEN_LENGTH = 8;
const BATCH_SUFFIX_LENGTH = 6;

/** `LOT-<UTC year of ts>-XXXXXX`, e.g. `LOT-2026-7KQ4MZ`. */
export function newBatchId(rng: Rng, ts: number): string {
  return `LOT-${new Date(ts).getUTCFullYear()}-${randomString(rng, BATCH_SUFFIX_LENGTH, TOKEN_ALPHABET)}`;
}

/** Eight characters of {@link TOKEN_ALPHABET} (about 40 bits when the Rng is a CSPRNG). */
export function newDeliveryToken(rng: Rng): string {
  return randomString(rng, DELIVERY_TOKEN_LENGTH, TOKEN_ALPHABET);
}
