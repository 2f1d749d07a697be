import type { MasterKey } from '../keys/master-key.ts';
import type { CaMaterial } from './types.ts';

/** The identity the CA key is sealed to (MasterKey.seal). */
export const CA_KEY_IDENTITY = 'vigil-root-ca';

/** The CA as stored on disk: certificate in clear, private key sealed under the master key. */
export interface SealedCa {
  certPem: string;
  /** `MasterKey.seal('ca-key', keyPkcs8Pem, 'vigil-root-ca')`. */
  keyEnc: Buffer;
}

/** Seals the CA private key for storage (DESIGN §2: the master key encrypts the CA key). */
export function sealCa(master: MasterKey, ca: CaMaterial): SealedCa {
  return {
    certPem: ca.certPem,
    keyEnc: master.seal('ca-key', Buffer.from(ca.keyPkcs8Pem, 'utf8'), CA_KEY_IDENTITY),
  };
}

/** Opens a sealed CA into memory; throws VIGIL_ERR_MASTER_KEY on a wrong key or tampering. */
export function openCa(master: MasterKey, sealed: SealedCa): CaMaterial {
  return {
    certPem: sealed.certPem,
    keyPkcs8Pem: master.open('ca-key', sealed.keyEnc, CA_KEY_IDENTITY).toString('utf8'),
  };
}
