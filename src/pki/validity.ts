import { VigilError } from '../errors.ts';

/** Back-dating of notBefore so that a peer whose clock runs a little behind accepts a new certificate. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_VALIDITY_DAYS = 36_500;

/** The validity window of a new certificate, in whole seconds (X.509 times carry no milliseconds). */
export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/**
 * notBefore = now - 5 min, notAfter = now + validityDays. When `cap` is given (the issuing CA's
 * notAfter), notAfter is clamped to it: a certificate cannot be trusted longer than its issuer.
 */
export function validityWindow(now: Date, validityDays: number, cap?: number): Validity {
  const t = checkNow(now);
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > MAX_VALIDITY_DAYS) {
    throw new VigilError('VIGIL_ERR_PKI', `validityDays must be an integer in 1..${MAX_VALIDITY_DAYS}`);
  }
  const notBefore = floorToSecond(t - CLOCK_SKEW_MS);
  let notAfter = floorToSecond(t + validityDays * DAY_MS);
  if (cap !== undefined && notAfter > cap) notAfter = cap;
  return { notBefore: new Date(notBefore), notAfter: new Date(notAfter) };
}

/** Milliseconds of a caller-supplied `now`, rejecting an Invalid Date. */
export function checkNow(now: Date): number {
  const t = now instanceof Date ? now.getTime() : Number.NaN;
  if (!Number.isFinite(t)) throw new VigilError('VIGIL_ERR_PKI', 'now must be a valid Date');
  return t;
}

export function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
