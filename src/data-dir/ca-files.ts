import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MasterKey } from '../keys/master-key.ts';
import { openCa } from '../pki/sealed-ca.ts';
import type { CaMaterial } from '../pki/types.ts';
import type { Store } from '../storage/store.ts';
import type { DataPaths } from './paths.ts';

/** Meta key of the CA rollover in progress (docs/protocol.md §13.3). */
export const ROLLOVER_META = 'pki.rollover';

/**
 * A CA rollover: `distributing` (trust bundle old + new pushed to devices; the server
 * certificate still from the old CA, which every device trusts), then `switched` (server
 * certificate from the new CA; device certificates renewed from it), then `retired` (old CA gone).
 */
export interface RolloverState {
  phase: 'distributing' | 'switched' | 'retired';
  startedAt: number;
  startedBy: string;
  /** Serials of the old and new roots. */
  oldCa: string;
  newCa: string;
  switchedAt?: number;
  retiredAt?: number;
}

/** The previous root while a rollover runs: `pki/ca-prev.crt` and its sealed key. */
export function previousCaPaths(paths: DataPaths): { cert: string; keySealed: string } {
  return { cert: join(paths.pkiDir, 'ca-prev.crt'), keySealed: join(paths.pkiDir, 'ca-prev.key.sealed') };
}

/** The previous root, or null when no rollover is in progress. */
export function loadPreviousCa(paths: DataPaths, master: MasterKey): CaMaterial | null {
  const p = previousCaPaths(paths);
  if (!existsSync(p.cert) || !existsSync(p.keySealed)) return null;
  return openCa(master, { certPem: readFileSync(p.cert, 'utf8'), keyEnc: readFileSync(p.keySealed) });
}

export async function readRolloverState(store: Store): Promise<RolloverState | null> {
  const raw = await store.getMeta(ROLLOVER_META);
  return raw ? (JSON.parse(raw) as RolloverState) : null;
}

/** Every root a device certificate may chain to now: the current CA and, during a rollover, the previous one. */
export function trustBundlePem(ca: CaMaterial, previous: CaMaterial | null): string {
  return previous ? `${ca.certPem.trimEnd()}\n${previous.certPem.trimEnd()}\n` : ca.certPem;
}

/**
 * The CA that signs the server certificate: the previous one while devices may not yet trust
 * the new root (`distributing`), else the current one.
 */
export function serverIssuer(
  ca: CaMaterial,
  previous: CaMaterial | null,
  state: RolloverState | null,
): CaMaterial {
  return previous && state?.phase === 'distributing' ? previous : ca;
}
