import { randomBytes } from 'node:crypto';

/** RFC 4648 base32 alphabet, lowercase (ids are typed and read in URLs and terminals). */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_CHARS = 10;

/** Shipment ids: `shp-` and 10 base32 characters (50 random bits). */
export const SHIPMENT_ID_RE = /^shp-[a-z2-7]{10}$/;

/** A new shipment id from `random` (default the OS CSPRNG). 256 is a multiple of 32: no bias. */
export function newShipmentId(random: (n: number) => Buffer = randomBytes): string {
  const bytes = random(ID_CHARS);
  let out = 'shp-';
  for (let i = 0; i < ID_CHARS; i++) out += ALPHABET[(bytes[i] ?? 0) & 31];
  return out;
}
