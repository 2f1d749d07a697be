import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { VigilError } from '../errors.ts';
import { parseMasterKey } from '../keys/master-key.ts';
import { checkMasterKeyMode } from '../keys/master-key-file.ts';
import { externalMasterKey } from '../keys/master-key-source.ts';
import { type DataPaths, dataPaths } from './paths.ts';

/**
 * What a path holds, seen from Vigil:
 * - `missing`: nothing there yet;
 * - `vigil`: a data directory (its database and root CA are there);
 * - `incomplete`: only some of Vigil's own files (a first start that was interrupted);
 * - `empty`: an empty directory, or one holding only `config.json` (prepared for a first start);
 * - `foreign`: a directory holding files Vigil did not put there (`/etc`, a home directory);
 * - `not-a-directory`: a file.
 */
export type DataDirState =
  | { kind: 'missing' | 'vigil' | 'incomplete' | 'empty' | 'not-a-directory' }
  | { kind: 'foreign'; entries: string[] };

/** What Vigil itself puts in a data directory (README, "Where data lives"). */
const VIGIL_ENTRIES = new Set([
  'config.json',
  'master.key',
  'master.key.next',
  'vigil.db',
  'vigil.db-wal',
  'vigil.db-shm',
  'pki',
  'devices',
  'sim',
  'claims',
  'vigil.pid',
  // continuity (docs/operations.md): backups, their state, the hash root (a restored node's, or
  // carried over by a master-key rotation)
  'backups',
  'backup-state.json',
  'backup-identity.txt',
  'hash-root.sealed',
]);

/** Entries a directory of its own may hold without being someone else's (a mount point, dotfiles). */
const ignorable = (name: string) => name.startsWith('.') || name === 'lost+found';

export function dataDirState(paths: DataPaths): DataDirState {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(paths.dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw new VigilError('VIGIL_ERR_DATA_DIR', `${paths.dataDir}: ${(err as Error).message}`);
  }
  if (!st.isDirectory()) return { kind: 'not-a-directory' };
  let names: string[];
  try {
    names = readdirSync(paths.dataDir).filter((n) => !ignorable(n));
  } catch (err) {
    throw new VigilError('VIGIL_ERR_DATA_DIR', `${paths.dataDir}: ${(err as Error).message}`);
  }
  // A data directory may hold other things too (bundles written next to it, exports).
  // The CA is created after the database was opened (and migrated), so it marks a finished one;
  // with PostgreSQL (storage.url) the database is not a file here.
  if (existsSync(paths.caCert) && existsSync(paths.caKeySealed)) return { kind: 'vigil' };
  const foreign = names.filter((n) => !VIGIL_ENTRIES.has(n));
  if (foreign.length > 0) return { kind: 'foreign', entries: foreign.sort() };
  return { kind: names.every((n) => n === 'config.json') ? 'empty' : 'incomplete' };
}

/**
 * Refuses a data directory other users can enter: it holds the master key and the database.
 * Vigil creates its directories with mode 0700 and never changes the mode of one it did not
 * create, so the fix is the operator's.
 */
export function checkPrivate(dir: string): void {
  if (process.platform === 'win32') return;
  const mode = statSync(dir).mode & 0o777;
  if (mode & 0o077) {
    throw new VigilError(
      'VIGIL_ERR_DATA_DIR',
      `${dir} is open to other users (mode ${mode.toString(8).padStart(4, '0')}) and would hold the master key and the database; fix: chmod 700 ${dir}`,
    );
  }
}

/** Subdirectories of `dir` (at most 100 looked at), for suggestions. */
function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .slice(0, 100)
      .filter((e) => e.isDirectory())
      .map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/**
 * Another data directory the user may have meant: DIR/vigil-data, one directory down (DIR was its
 * parent) or up (DIR was its pki/ or devices/X/), $VIGIL_DATA_DIR, ./vigil-data.
 */
export function suggestDataDir(dir: string, env: NodeJS.ProcessEnv): string | null {
  const here = resolve(dir);
  const candidates = [
    join(here, 'vigil-data'),
    ...subdirectories(here),
    dirname(here),
    dirname(dirname(here)),
    ...(env.VIGIL_DATA_DIR ? [resolve(env.VIGIL_DATA_DIR)] : []),
    resolve('vigil-data'),
  ];
  for (const c of candidates) {
    if (c === here) continue;
    try {
      if (dataDirState(dataPaths(c)).kind === 'vigil') return c;
    } catch {
      // unreadable: not a suggestion
    }
  }
  return null;
}

/** The one-line advice after "not a Vigil data directory". */
function whereToLook(dir: string, env: NodeJS.ProcessEnv, canCreate: boolean): string {
  const other = suggestDataDir(dir, env);
  if (other) return `did you mean --data-dir ${other}?`;
  const create = canCreate
    ? `create one with "vigil init --data-dir ${dir}" (or "vigil start --data-dir ${dir}"), or `
    : '';
  return `${create}pass the directory "vigil start" uses with --data-dir DIR or VIGIL_DATA_DIR`;
}

/**
 * Checks a data directory before anything is written to it, and throws what is wrong with it:
 * - `create` (`vigil start`, `vigil init`): the path may be missing (it is created), empty, a
 *   data directory or an interrupted one; never a directory holding other files; never open to
 *   other users.
 * - otherwise: it must already be a complete data directory (VIGIL_ERR_NO_DATA_DIR): a command
 *   that only reads never creates one.
 * The master key must be given (the systemd credential, a valid VIGIL_MASTER_KEY, or master.key),
 * unless it is about to be generated for a new database; a master.key other users can read is
 * refused unless `acceptExposedMasterKey` (`vigil start --accept-exposed-master-key`).
 */
export function checkDataDir(
  paths: DataPaths,
  env: NodeJS.ProcessEnv,
  create: boolean,
  acceptExposedMasterKey = false,
): DataDirState {
  const dir = paths.dataDir;
  const state = dataDirState(paths);
  if (state.kind === 'not-a-directory') {
    throw new VigilError('VIGIL_ERR_DATA_DIR', `${dir} is a file, not a directory`);
  }
  if (create) {
    if (state.kind === 'foreign') {
      const shown = state.entries.slice(0, 3).join(', ') + (state.entries.length > 3 ? ', ...' : '');
      throw new VigilError(
        'VIGIL_ERR_DATA_DIR',
        `${dir} holds files that are not Vigil's (${shown}); a data directory needs a directory of its own: give a new path (it is created) or an empty directory`,
      );
    }
  } else if (state.kind !== 'vigil') {
    const what =
      state.kind === 'missing'
        ? `${dir} does not exist`
        : state.kind === 'incomplete'
          ? `${dir} is an unfinished data directory (an interrupted first start); finish it with "vigil init --data-dir ${dir}"`
          : `${dir} has no Vigil database`;
    const advice = state.kind === 'incomplete' ? '' : `; ${whereToLook(dir, env, state.kind !== 'foreign')}`;
    throw new VigilError('VIGIL_ERR_NO_DATA_DIR', `${what}${advice}`);
  }
  if (state.kind !== 'missing') checkPrivate(dir);
  const external = externalMasterKey(env);
  if (external) parseMasterKey(external.text);
  else if (existsSync(paths.masterKey)) checkMasterKeyMode(paths.masterKey, acceptExposedMasterKey);
  else if (existsSync(paths.db)) {
    throw new VigilError(
      'VIGIL_ERR_MASTER_KEY',
      `${paths.masterKey} is missing and VIGIL_MASTER_KEY is not set; give the key this data directory was created with`,
    );
  }
  return state;
}
