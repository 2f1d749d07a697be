import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  checkRecipient,
  generateBackupIdentity,
  identityFileText,
  identityWarning,
  readIdentityFile,
  writeIdentityFile,
} from '../../backup/age-identity.ts';
import { addBackupRecipient } from '../../backup/backup-config.ts';
import { backupDir, listBackups } from '../../backup/backup-files.ts';
import { runBackup } from '../../backup/backup-run.ts';
import { updateBackupState } from '../../backup/backup-state.ts';
import { runDrill } from '../../backup/drill.ts';
import { withOpenedBackup } from '../../backup/open-backup.ts';
import { backupLabel, restoreBackup } from '../../backup/restore-backup.ts';
import { resolveDataDir } from '../../config/load.ts';
import { openContext, type VigilContext } from '../../data-dir/context.ts';
import { dataPaths } from '../../data-dir/paths.ts';
import { databaseSnapshots } from '../../data-dir/snapshots.ts';
import { VigilError } from '../../errors.ts';
import { loadOrCreateReportSigner, reportKeyPaths } from '../../reports/signing.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, usage } from '../io.ts';
import { iso } from '../json-views.ts';

const KEY_OPTION = [
  '--key PUBKEY.pem',
  "the key the manifest must be signed with (default: this data directory's report key, vigil report key)",
] as const;
const IDENTITY_OPTION = ['--identity F', 'the age identity file vigil backup init wrote'] as const;

export const backupHelp: CommandHelp = {
  forms: {
    init: {
      synopsis: 'backup init [--recipient AGE1...] [--identity-out FILE] [--json]',
      about:
        'Sets up encrypted backups. Without --recipient it generates an age identity into FILE (mode 0600): move it offline, without it no backup can be restored. Only the recipient (public key) goes into backup.recipients.',
      options: [
        ['--recipient AGE1...', 'encrypt backups to this existing age X25519 recipient'],
        ['--identity-out FILE', 'where a generated identity goes (default <data-dir>/backup-identity.txt)'],
        ['--json', 'print {recipient, recipients, identityFile} as one JSON object'],
      ],
    },
    create: {
      synopsis: 'backup create [--out DIR] [--json]',
      about:
        'An online, consistent backup while ingest runs: vigil-backup-<UTC timestamp>.age (database, PKI, sealed keys, config, signed manifest), then retention and backup.command. Refused on PostgreSQL (storage.url): back it up with pg_basebackup or pg_dump (docs/operations.md).',
      options: [
        ['--out DIR', 'write it here instead of backup.dir (no retention there)'],
        ['--json', 'print the backup as one JSON object'],
      ],
    },
    list: {
      synopsis: 'backup list [--json]',
      about: 'The backups in the backup directory, newest first.',
      options: [['--json', 'one JSON object per backup (NDJSON)']],
    },
    verify: {
      synopsis: 'backup verify FILE --identity F [--key PUBKEY.pem] [--json]',
      about:
        "Decrypts into a 0700 temp directory (always removed), checks the manifest's signature, every part's SHA-256, the database's integrity and the audit chain, and prints the counts. Exit 1 on any problem.",
      options: [IDENTITY_OPTION, KEY_OPTION, ['--json', 'print the result as one JSON object']],
    },
    restore: {
      synopsis: 'backup restore FILE --identity F --data-dir NEW [--key PUBKEY.pem] [--json]',
      about:
        'Restores into a new, empty data directory on a new master key (database re-encrypted, keys re-sealed); then vigil start --data-dir NEW serves the same devices, readings, users, alarms, shipments and audit chain.',
      options: [IDENTITY_OPTION, KEY_OPTION, ['--json', 'print the result as one JSON object']],
    },
    drill: {
      synopsis: 'backup drill --identity F [--key PUBKEY.pem] [--json]',
      about:
        'Restores the newest backup into a scratch directory, verifies it and removes it; reports RPO (age of the newest backup) and RTO (measured restore time). The system page shows the result.',
      options: [IDENTITY_OPTION, KEY_OPTION, ['--json', 'print the result as one JSON object']],
    },
  },
  notes: 'Backups, restore, drills and off-site copies: docs/operations.md.',
};

/** Rows per table in a --json object: table names in camelCase (`device_keys` → `deviceKeys`). */
function rowCountsJson(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts).map(([t, n]) => [t.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), n]),
  );
}

/** The key a manifest must be signed with: `--key`, else this data directory's report key, if any. */
function trustedKey(dataDir: string, keyFlag: string | undefined): string | undefined {
  const path = keyFlag ?? reportKeyPaths(dataPaths(dataDir).pkiDir).publicKey;
  if (!keyFlag && !existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new VigilError('VIGIL_ERR_NOT_FOUND', `--key ${path}: ${(err as Error).message}`);
  }
}

function required(v: string | undefined, flag: string): string {
  if (!v) usage(`${flag} is required`);
  return v;
}

export async function backupCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    recipient: { type: 'string' },
    'identity-out': { type: 'string' },
    identity: { type: 'string' },
    out: { type: 'string' },
    key: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const [sub, file, ...extra] = positionals;
  const json = values.json;
  const inDataDir = <T>(fn: (ctx: VigilContext) => Promise<T>) =>
    withDataDir(values['data-dir'], fn, { env: io.env });
  const dataDir = resolveDataDir(values['data-dir'], io.env);
  const takesFile = sub === 'verify' || sub === 'restore';
  const stray = takesFile ? extra[0] : file;
  if (stray !== undefined) usage(`unexpected argument "${stray}"`);

  if (sub === 'init') {
    let identityFile: string | null = null;
    const given = values.recipient ? checkRecipient(values.recipient) : undefined;
    // The data directory is opened (and refused when it is none) before anything is written.
    const { recipient, recipients } = await inDataDir(async (ctx) => {
      let recipient: string;
      if (given) recipient = given;
      else {
        const pair = await generateBackupIdentity();
        identityFile = resolve(values['identity-out'] ?? ctx.paths.demoBackupIdentity);
        writeIdentityFile(identityFile, identityFileText(pair, new Date()));
        recipient = pair.recipient;
      }
      const r = addBackupRecipient(ctx.paths.dataDir, recipient);
      await ctx.store.appendAudit({
        ts: ctx.clock(),
        actor: 'cli',
        action: 'backup.init',
        object: null,
        detail: { recipient, generated: identityFile !== null },
      });
      return { recipient, recipients: r };
    });
    if (json) io.out(JSON.stringify({ recipient, recipients, identityFile }));
    else {
      io.out(`backup recipient ${recipient} added to backup.recipients in ${dataDir}/config.json`);
      if (identityFile) for (const l of identityWarning(identityFile)) io.out(l);
      io.out('a running vigil start picks the recipients up at its next start.');
    }
    return 0;
  }

  if (sub === 'create') {
    return inDataDir(async (ctx) => {
      const r = await runBackup(
        {
          paths: ctx.paths,
          config: ctx.config,
          master: ctx.master,
          snapshots: databaseSnapshots(ctx),
          signer: () => loadOrCreateReportSigner(ctx.paths.pkiDir, ctx.master),
          audit: ctx.store,
          clock: ctx.clock,
        },
        { outDir: values.out ? resolve(values.out) : undefined, actor: 'cli' },
      );
      const m = r.backup.manifest;
      if (json) {
        io.out(
          JSON.stringify({
            file: r.backup.file,
            bytes: r.backup.bytes,
            durationMs: Math.round(r.backup.durationMs),
            createdAt: m.createdAt,
            rowCounts: rowCountsJson(m.rowCounts),
            signingKey: m.signingKey.fingerprint,
            removed: r.removed,
            hook: r.hook,
          }),
        );
      } else {
        io.out(`backup written: ${r.backup.file}`);
        io.out(
          `  ${r.backup.bytes} bytes in ${(r.backup.durationMs / 1000).toFixed(1)} s; ${m.rowCounts.readings ?? 0} readings; signed by ${m.signingKey.fingerprint}`,
        );
        if (r.removed.length) io.out(`  retention removed ${r.removed.length} older backup(s)`);
        if (r.hook) io.out(`  backup.command: ${r.hook.ok ? 'ok' : `FAILED (${r.hook.error})`}`);
      }
      if (r.hook && !r.hook.ok) io.err('vigil backup: the backup is written, but backup.command failed');
      return 0;
    });
  }

  if (sub === 'list') {
    const dir = await inDataDir(async (ctx) => backupDir(ctx.config));
    const now = Date.now();
    const files = listBackups(dir);
    for (const b of files) {
      if (json)
        io.out(
          JSON.stringify({
            name: b.name,
            path: b.path,
            createdAt: iso(b.createdAt),
            bytes: b.bytes,
            ageMs: now - b.createdAt,
          }),
        );
      else io.out(`${iso(b.createdAt)}  ${String(b.bytes).padStart(12)}  ${b.path}`);
    }
    if (!json) io.err(`${files.length} backup(s) in ${dir}`);
    return 0;
  }

  if (sub === 'verify') {
    const f = resolve(file ?? usage('the backup FILE is needed'));
    const identities = readIdentityFile(required(values.identity, '--identity'));
    const trustedPem = trustedKey(dataDir, values.key);
    const statePath = dataPaths(dataDir).backupState;
    const record = (ok: boolean, error?: string) => {
      if (existsSync(dataPaths(dataDir).db))
        updateBackupState(statePath, {
          lastVerify: { at: iso(Date.now()), file: f, ok, ...(error ? { error } : {}) },
        });
    };
    try {
      const r = await withOpenedBackup(
        { file: f, identities, trustedPem, snapshots: databaseSnapshots() },
        async (b) => ({
          file: f,
          ok: true,
          createdAt: b.manifest.createdAt,
          vigilVersion: b.manifest.vigilVersion,
          schemaVersion: b.manifest.schemaVersion,
          bytes: b.bytes,
          parts: b.manifest.parts.length,
          rowCounts: rowCountsJson(b.check.rowCounts),
          auditEntries: b.check.audit.entries,
          auditHead: b.manifest.auditHead,
          integrity: 'ok',
          signingKey: b.manifest.signingKey.fingerprint,
          signingKeyTrusted: b.trusted,
        }),
      );
      record(true);
      if (json) io.out(JSON.stringify(r));
      else {
        io.out(
          `backup OK: ${backupLabel(f)} (created ${r.createdAt}, Vigil ${r.vigilVersion}, schema ${r.schemaVersion})`,
        );
        io.out(
          `  every part's SHA-256 matches; database integrity ok; audit chain intact (${r.auditEntries} entries)`,
        );
        io.out(
          `  signed by ${r.signingKey}${r.signingKeyTrusted ? " (this installation's key)" : ' (NOT compared with a trusted key: pass --key, the public key vigil report key prints)'}`,
        );
        for (const [t, n] of Object.entries(r.rowCounts)) io.out(`  ${t.padEnd(28)} ${n}`);
      }
      return 0;
    } catch (err) {
      record(false, (err as Error).message.slice(0, 300));
      throw err;
    }
  }

  if (sub === 'restore') {
    const f = resolve(file ?? usage('the backup FILE is needed'));
    const identities = readIdentityFile(required(values.identity, '--identity'));
    if (!values['data-dir']) usage('--data-dir NEW is required: the empty directory to restore into');
    const r = await restoreBackup({
      file: f,
      identities,
      target: dataDir,
      trustedPem: values.key ? trustedKey(dataDir, values.key) : undefined,
      snapshots: databaseSnapshots(),
      env: io.env,
    });
    // Open the restored node once as `vigil start` will: migrations, checks, and the audit entry.
    const ctx = await openContext({ dataDir, env: io.env, logLevel: 'warn', createAdmin: false });
    let audit: { ok: boolean; entries: number };
    try {
      await ctx.store.appendAudit({
        ts: ctx.clock(),
        actor: 'cli',
        action: 'backup.restore',
        object: backupLabel(f),
        detail: {
          created_at: r.manifest.createdAt,
          signing_key: r.manifest.signingKey.fingerprint,
          resealed: r.resealed,
        },
      });
      audit = await ctx.store.verifyAudit();
    } finally {
      await ctx.close();
    }
    if (json) {
      io.out(
        JSON.stringify({
          dataDir: r.target,
          createdAt: r.manifest.createdAt,
          rowCounts: rowCountsJson(r.manifest.rowCounts),
          resealed: r.resealed,
          durationMs: Math.round(r.durationMs),
          signingKey: r.manifest.signingKey.fingerprint,
          signingKeyTrusted: r.trusted,
          auditOk: audit.ok,
        }),
      );
    } else {
      io.out(
        `restored ${backupLabel(f)} (created ${r.manifest.createdAt}) into ${r.target} in ${(r.durationMs / 1000).toFixed(1)} s`,
      );
      io.out(
        `  new master key ${io.env.VIGIL_MASTER_KEY ? '(VIGIL_MASTER_KEY)' : `${r.target}/master.key`}; database re-encrypted, ${r.resealed} sealed values re-sealed`,
      );
      io.out(
        `  audit chain ${audit.ok ? 'intact' : 'BROKEN'} (${audit.entries} entries); signed by ${r.manifest.signingKey.fingerprint}${r.trusted ? ' (trusted key)' : ' (compare with vigil report key of the original installation, or pass --key)'}`,
      );
      io.out(`next: vigil start --data-dir ${r.target}`);
    }
    return audit.ok ? 0 : 1;
  }

  if (sub === 'drill') {
    const identities = readIdentityFile(required(values.identity, '--identity'));
    return inDataDir(async (ctx) => {
      const r = await runDrill({
        config: ctx.config,
        statePath: ctx.paths.backupState,
        identities,
        trustedPem:
          trustedKey(ctx.paths.dataDir, values.key) ??
          loadOrCreateReportSigner(ctx.paths.pkiDir, ctx.master).publicKeyPem,
        snapshots: databaseSnapshots(ctx),
        clock: ctx.clock,
        openRestored: async (dir) => {
          const r2 = await openContext({ dataDir: dir, env: {}, logLevel: 'warn', createAdmin: false });
          try {
            const audit = await r2.store.verifyAudit();
            return {
              readings: await r2.store.countReadings(),
              auditOk: audit.ok,
              auditEntries: audit.entries,
            };
          } finally {
            await r2.close();
          }
        },
      });
      await ctx.store.appendAudit({
        ts: ctx.clock(),
        actor: 'cli',
        action: 'backup.drill',
        object: r.file,
        detail: { rpo_ms: r.rpoMs, rto_ms: r.rtoMs, readings: r.readings },
      });
      if (json)
        io.out(
          JSON.stringify({
            ok: true,
            file: r.file,
            createdAt: r.createdAt,
            rpoMs: r.rpoMs,
            rtoMs: r.rtoMs,
            readings: r.readings,
            auditEntries: r.auditEntries,
          }),
        );
      else {
        io.out(`drill OK: restored ${backupLabel(r.file)} into a scratch directory, verified and removed`);
        io.out(`  RPO ${(r.rpoMs / 60_000).toFixed(1)} min (age of the newest backup)`);
        io.out(`  RTO ${(r.rtoMs / 1000).toFixed(1)} s (decrypt, verify, re-key, open)`);
        io.out(`  ${r.readings} readings, audit chain intact (${r.auditEntries} entries)`);
      }
      return 0;
    });
  }
  usage(`unknown subcommand "${sub ?? ''}"`);
}
