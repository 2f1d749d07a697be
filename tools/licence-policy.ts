/**
 * Which licences a production dependency of Vigil (Apache-2.0) may carry: permissive licences
 * whose terms an Apache-2.0 work can meet (the ASF's "Category A" list). Copyleft licences (GPL,
 * LGPL, AGPL, SSPL, EUPL) and anything unknown are refused: `npm run sbom` (run in CI) fails then.
 */
export const ALLOWED_LICENCES = new Set([
  'Apache-2.0',
  'MIT',
  'MIT-0',
  'ISC',
  'BSD-2-Clause',
  'BSD-3-Clause',
  '0BSD',
  'BlueOak-1.0.0',
  'CC0-1.0',
  'Unlicense',
  'Python-2.0',
  'Zlib',
  // Permissive font licence (copy, modify, sell; a modified font must be renamed): DejaVu, for
  // the PDF reports, is Bitstream Vera plus the identical Arev terms and public-domain changes.
  'Bitstream-Vera',
]);

/**
 * Weak-copyleft (file-level) licences, in the ASF's "Category B": an Apache-2.0 work may depend on
 * such a package as long as it is not modified (its files stay under their own licence, and npm
 * ships them as source). Accepted per package after review, never for a licence as such: a new
 * package under one of them fails the check until it is reviewed and listed here.
 */
export const REVIEWED_WEAK_COPYLEFT: Record<string, string> = {
  // Web Push (RFC 8030/8291/8292) for alarm notifications, src/notifications/channels/push-channel.ts.
  'web-push': 'MPL-2.0',
};

/**
 * Packages whose package.json states no licence, or only points at a file (`SEE LICENSE IN ...`),
 * with the licence their own LICENSE file grants and the first words of that file, which
 * `tools/sbom.ts` checks before it records the licence.
 */
export const LICENCE_OVERRIDES: Record<string, { licence: string; fileStartsWith: string }> = {
  'png-js@2.0.0': { licence: 'MIT', fileStartsWith: 'MIT License' },
  'dejavu-fonts-ttf@2.37.3': {
    licence: 'Bitstream-Vera',
    fileStartsWith: 'Fonts are (c) Bitstream (see below). DejaVu changes are in public domain.',
  },
};

/**
 * True when an SPDX expression is allowed: one allowed id, or a disjunction (`A OR B`) with at
 * least one allowed id, or a conjunction (`A AND B`) of allowed ids.
 */
export function licenceAllowed(expression: string): boolean {
  const e = expression.replace(/[()]/g, ' ').trim();
  if (/\bOR\b/.test(e)) return e.split(/\s+OR\s+/).some((p) => licenceAllowed(p));
  if (/\bAND\b/.test(e)) return e.split(/\s+AND\s+/).every((p) => licenceAllowed(p));
  return ALLOWED_LICENCES.has(e);
}
