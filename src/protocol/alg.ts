/**
 * The envelope's AEAD algorithms (DESIGN.md §2). A module of its own, free of node:crypto, so the
 * API's schemas (and the dashboard's types inferred from them) can name them.
 */
export type Alg = 'A256GCM' | 'ASCON128' | 'none';
export const ALGS: readonly Alg[] = ['A256GCM', 'ASCON128', 'none'];
