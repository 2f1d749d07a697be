import { loadConfig, resolveDataDir } from '../../config/load.ts';
import { checkDataDir } from '../../data-dir/data-dir-state.ts';
import { rotateMasterKey } from '../../data-dir/master-rotation.ts';
import { dataPaths } from '../../data-dir/paths.ts';
import { serverLockHolder } from '../../data-dir/server-lock.ts';
import { VigilError } from '../../errors.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import type { CliIo } from '../io.ts';

export const keysHelp: CommandHelp = {
  forms: {
    'rotate-master': {
      synopsis: 'keys rotate-master [--json]',
      about:
        'Generates a new master key, re-seals every sealed key (CA, server, services, report signing, device secrets, TOTP secrets, notification credentials) under it and re-keys the SQLCipher database (PRAGMA rekey); with storage.url (PostgreSQL) it re-seals the column data key and the sealed values in the database in one transaction, and refuses while any other session of the same role is connected to the database. Keyed hashes and the audit chain keep their root, so tokens, recovery codes and `vigil audit verify` are unaffected. Crash-safe: if it is interrupted, the next vigil command finishes it. Stop `vigil start` first (on PostgreSQL every vigil process on the database, then give every machine the new master.key and pki/); only a master key kept in master.key can be rotated (not VIGIL_MASTER_KEY). Back up the new master.key apart from the data.',
      options: [['--json', 'print {rotated, fingerprint} as one JSON object']],
    },
  },
};

/** `vigil keys rotate-master`. */
export async function keysCommand(argv: string[], io: CliIo): Promise<number> {
  const [, ...rest] = argv;
  const { values } = parseCommand(
    rest,
    { json: { type: 'boolean', default: false } },
    { positionals: false },
  );
  const paths = dataPaths(resolveDataDir(values['data-dir'], io.env));
  // Before anything is written: a data directory that is one, and no server holding the old key.
  checkDataDir(paths, io.env, false);
  const { storage } = loadConfig({ dataDir: paths.dataDir, env: io.env, overrides: {} });
  const pid = serverLockHolder(paths.lock);
  if (pid !== null)
    throw new VigilError(
      'VIGIL_ERR_DATA_DIR',
      `vigil start runs on this data directory (pid ${pid}) and holds the old master key; stop it first`,
    );
  const { fingerprint } = await rotateMasterKey(paths, io.env, storage);
  // Opening the context checks everything opens with the new key, and audits the rotation.
  await withDataDir(
    values['data-dir'],
    async (ctx) => {
      await ctx.store.appendAudit({
        ts: ctx.clock(),
        actor: 'cli',
        action: 'keys.master_rotated',
        object: null,
        detail: { fingerprint },
      });
    },
    { env: io.env },
  );
  if (values.json) io.out(JSON.stringify({ rotated: true, fingerprint }));
  else
    io.out(
      `master key rotated (fingerprint ${fingerprint}); back up the new ${paths.masterKey} apart from the data`,
    );
  return 0;
}
