import { join } from 'node:path';

/** Where everything lives inside the data directory. */
export function dataPaths(dataDir: string) {
  return {
    dataDir,
    masterKey: join(dataDir, 'master.key'),
    /** The next master key while `vigil keys rotate-master` runs (or was interrupted). */
    masterKeyNext: join(dataDir, 'master.key.next'),
    /**
     * The root of keyed hashes and of the audit chain's key once it is no longer the master key
     * itself (after a master-key rotation, or on a node restored from a backup), sealed.
     */
    hashRootSealed: join(dataDir, 'hash-root.sealed'),
    db: join(dataDir, 'vigil.db'),
    pkiDir: join(dataDir, 'pki'),
    caCert: join(dataDir, 'pki', 'ca.crt'),
    caKeySealed: join(dataDir, 'pki', 'ca.key.sealed'),
    serverCert: join(dataDir, 'pki', 'server.crt'),
    serverKeySealed: join(dataDir, 'pki', 'server.key.sealed'),
    crl: join(dataDir, 'pki', 'crl.pem'),
    devicesDir: join(dataDir, 'devices'),
    /** Uploaded firmware images, named by their SHA-256 (docs/ota.md). */
    firmwareDir: join(dataDir, 'firmware'),
    lock: join(dataDir, 'vigil.pid'),
    /** The newest signed audit checkpoint, outside the database (src/audit). */
    auditCheckpoint: join(dataDir, 'audit-checkpoint.json'),
    simDir: join(dataDir, 'sim'),
    /** Backup identity written by `vigil start --demo` (move it offline). */
    demoBackupIdentity: join(dataDir, 'backup-identity.txt'),
    /** State of backups, drills and the hook, shared by the CLI and the server. */
    backupState: join(dataDir, 'backup-state.json'),
  };
}

export type DataPaths = ReturnType<typeof dataPaths>;
