import { join } from 'node:path';

/** Where everything lives inside the data directory. */
export function dataPaths(dataDir: string) {
  return {
    dataDir,
    masterKey: join(dataDir, 'master.key'),
    /** The next master key while `vigil keys rotate-master` runs (or was interrupted). */
    masterKeyNext: join(dataDir, 'master.key.next'),
    /** The keyed-hash root after a master-key rotation, sealed under the master key. */
    hashRootSealed: join(dataDir, 'pki', 'hash-root.sealed'),
    db: join(dataDir, 'vigil.db'),
    pkiDir: join(dataDir, 'pki'),
    caCert: join(dataDir, 'pki', 'ca.crt'),
    caKeySealed: join(dataDir, 'pki', 'ca.key.sealed'),
    serverCert: join(dataDir, 'pki', 'server.crt'),
    serverKeySealed: join(dataDir, 'pki', 'server.key.sealed'),
    crl: join(dataDir, 'pki', 'crl.pem'),
    devicesDir: join(dataDir, 'devices'),
    lock: join(dataDir, 'vigil.pid'),
    simDir: join(dataDir, 'sim'),
  };
}

export type DataPaths = ReturnType<typeof dataPaths>;
