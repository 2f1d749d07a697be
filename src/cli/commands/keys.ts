import { existsSync, readFileSync } from 'node:fs';
import { loadConfig } from '../../config/load.ts';
import { rotateMasterKey } from '../../data-dir/master-rotation.ts';
import { dataPaths } from '../../data-dir/paths.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import { type CliIo, usage } from '../io.ts';

const HELP = `usage:
  vigil keys rotate-master [--json]

Generates a new master key, re-seals every sealed key (CA, server, services, report signing,
device secrets, TOTP secrets) under it and re-keys the SQLCipher database (PRAGMA rekey).
Crash-safe: if it is interrupted, the next vigil command finishes it. Stop \`vigil start\` first;
only a master key kept in master.key can be rotated (not VIGIL_MASTER_KEY).`;

/** True when a live `vigil start` holds the data directory's lock. */
function serverRunning(lockPath: string): number | null {
  if (!existsSync(lockPath)) return null;
  const pid = Number(readFileSync(lockPath, 'utf8').trim());
  if (!(pid > 0)) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** `vigil keys rotate-master`. */
export async function keysCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseCommand(
    rest,
    { json: { type: 'boolean', default: false } },
    { positionals: false },
  );
  if (!sub || sub === 'help' || sub === '--help') {
    io.out(HELP);
    return sub ? 0 : 2;
  }
  if (sub !== 'rotate-master') usage(`unknown keys command "${sub}"\n${HELP}`);
  const config = loadConfig({ dataDir: values['data-dir'], env: io.env, overrides: {} });
  const paths = dataPaths(config.dataDir);
  if (!existsSync(paths.masterKey) && !io.env.VIGIL_MASTER_KEY)
    usage(`no data directory at ${paths.dataDir}`);
  const pid = serverRunning(paths.lock);
  if (pid !== null) usage(`vigil start runs on this data directory (pid ${pid}); stop it first`);
  const { fingerprint } = rotateMasterKey(paths, io.env);
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
