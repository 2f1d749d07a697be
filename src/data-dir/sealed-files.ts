import type { SealPurpose } from '../keys/master-key.ts';
import { CA_KEY_IDENTITY } from '../pki/sealed-ca.ts';
import { REPORT_KEY_IDENTITY } from '../reports/signing.ts';

/** The identity the server's TLS key is sealed to (MasterKey.seal). */
export const SERVER_KEY_IDENTITY = 'vigil-server';

/**
 * The purpose and identity a sealed key file of the PKI directory (`*.key.sealed`) was sealed
 * for: the root CA (`ca.key.sealed`, and the previous root of a CA rollover, `ca-prev.key.sealed`),
 * the server key, the report-signing key, and each service's `<name>.key.sealed` (sealed to its
 * name, src/data-dir/service-cert.ts). What a master-key rotation and a restore re-seal.
 */
export function sealedFileIdentity(name: string): { purpose: SealPurpose; identity: string } {
  if (name === 'ca.key.sealed' || name === 'ca-prev.key.sealed')
    return { purpose: 'ca-key', identity: CA_KEY_IDENTITY };
  if (name === 'server.key.sealed') return { purpose: 'server-key', identity: SERVER_KEY_IDENTITY };
  if (name === 'report-signing.key.sealed') return { purpose: 'report-key', identity: REPORT_KEY_IDENTITY };
  return { purpose: 'service-key', identity: name.slice(0, -'.key.sealed'.length) };
}
