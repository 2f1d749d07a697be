import { join } from 'node:path';

/** Where everything lives inside the data directory. */
export function dataPaths(dataDir: string) {
  return {
    dataDir,
    masterKey: join(dataDir, 'master.key'),
    db: join(dataDir, 'vigil.db'),
    pkiDir: join(dataDir, 'pki'),
    caCert: join(dataDir, 'pki', 'ca.crt'),
    caKeySealed: join(dataDir, 'pki', 'ca.key.sealed'),
    serverCert: join(dataDir, 'pki', 'server.crt'),
    serverKeySealed: join(dataDir, 'pki', 'server.key.sealed'),
    crl: join(dataDir, 'pki', 'crl.pem'),
    devicesDir: join(dataDir, 'devices'),
    lock: join(dataDir, 'vigil.pid'),
    /** The newest signed audit checkpoint, outside the database (src/audit). */
    auditCheckpoint: join(dataDir, 'audit-checkpoint.json'),
    simDir: join(dataDir, 'sim'),
  };
}

export type DataPaths = ReturnType<typeof dataPaths>;
