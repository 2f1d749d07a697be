import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../atomic-file.ts';
import { checkpointJson, parseCheckpoint } from '../../audit/audit-checkpoint.ts';
import { AuditCheckpoints } from '../../audit/audit-checkpoints.ts';
import { auditEntryView } from '../../audit/audit-entry-view.ts';
import type { VigilContext } from '../../data-dir/context.ts';
import { VigilError } from '../../errors.ts';
import { escapeControl } from '../../escape-control.ts';
import { loadOrCreateReportSigner } from '../../reports/signing.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, parsePositiveInt, parseTime, usage } from '../io.ts';
import { iso } from '../json-views.ts';

export const auditHelp: CommandHelp = {
  forms: {
    '': {
      synopsis: 'audit [--since ISO] [--limit N] [--action A] [--json]',
      about: 'The audit log, oldest first: who did what, when, to what. Append-only and hash-chained.',
      options: [
        ['--since ISO', 'entries at or after this time'],
        ['--limit N', 'at most N entries (default 1000)'],
        ['--action A', 'only this action, e.g. device.revoke'],
        ['--json', 'one JSON object per entry (NDJSON)'],
      ],
    },
    verify: {
      synopsis: 'audit verify [--checkpoint FILE ...] [--json]',
      about:
        "Checks the HMAC chain of the whole audit log, then every signed checkpoint (the database's newest, the data directory's and each --checkpoint FILE): its signature, and whether the log still holds the head it signed. Exit 1 on a broken chain, a bad signature, truncation or a rewrite.",
      options: [
        ['--checkpoint FILE', 'also check this exported checkpoint (repeatable)'],
        ['--json', 'print {ok, entries, firstBroken, truncated, checkpoints} as one JSON object'],
      ],
    },
    checkpoint: {
      synopsis: 'audit checkpoint [--out FILE] [--json]',
      about:
        'Signs a checkpoint of the audit head with the report-signing key and keeps it in the database and the data directory: a later verify then notices entries removed at the tail or rewritten.',
      options: [
        ['--out FILE', 'also write the checkpoint to FILE (keep it off this machine)'],
        ['--json', 'print the checkpoint as one JSON object'],
      ],
    },
  },
};

const checkpointsOf = (ctx: VigilContext) =>
  new AuditCheckpoints({
    store: ctx.store,
    signer: loadOrCreateReportSigner(ctx.paths.pkiDir, ctx.master),
    file: ctx.paths.auditCheckpoint,
    clock: ctx.clock,
  });

function readCheckpointFile(path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new VigilError('VIGIL_ERR_NOT_FOUND', `${path}: ${(err as Error).message}`);
  }
  return { source: path, checkpoint: parseCheckpoint(text, path) };
}

export async function auditCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    since: { type: 'string' },
    limit: { type: 'string' },
    action: { type: 'string' },
    json: { type: 'boolean', default: false },
    checkpoint: { type: 'string', multiple: true },
    out: { type: 'string' },
  });
  const sub = positionals[0];
  if (sub !== undefined && sub !== 'verify' && sub !== 'checkpoint') usage(`unknown subcommand "${sub}"`);
  if (positionals.length > 1) usage(`unexpected argument "${positionals[1]}"`);
  if (values.checkpoint && sub !== 'verify') usage('--checkpoint belongs to audit verify');
  if (values.out && sub !== 'checkpoint') usage('--out belongs to audit checkpoint');
  // Checkpoint files are read (and refused when malformed) before the data directory is opened.
  const given = (values.checkpoint ?? []).map(readCheckpointFile);
  return withDataDir(
    values['data-dir'],
    async (ctx) => {
      if (sub === 'verify') return verify(ctx, io, given, values.json);
      if (sub === 'checkpoint') {
        const cp = await checkpointsOf(ctx).create();
        if (values.out) writeFileAtomic(values.out, `${checkpointJson(cp)}\n`, 0o644);
        if (values.json) io.out(checkpointJson(cp));
        else {
          io.out(
            `audit checkpoint #${cp.seq}: ${cp.entries} entries, head ${cp.headId} ${cp.headHash}, signed ${cp.keyFingerprint}`,
          );
          io.out(
            `kept in the database and ${ctx.paths.auditCheckpoint}${values.out ? ` and written to ${values.out}` : ''}`,
          );
        }
        return 0;
      }
      const since = parseTime('--since', values.since);
      const limit = parsePositiveInt('--limit', values.limit, 1_000_000) ?? 1000;
      const rows = await ctx.store.queryAudit({ since, limit, action: values.action });
      // Actor, object and detail can hold attacker-chosen text (a user name typed at a failed
      // sign-in): every line is escaped whole, which keeps a --json line valid JSON.
      for (const a of rows) {
        if (values.json) io.out(escapeControl(JSON.stringify(auditEntryView(a))));
        else
          io.out(
            escapeControl(
              `${iso(a.ts)} #${a.id} ${a.actor} ${a.action}${a.object ? ` ${a.object}` : ''} ${JSON.stringify(a.detail)}`,
            ),
          );
      }
      if (!values.json) io.err(`${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}`);
      return 0;
    },
    { env: io.env },
  );
}

/**
 * `vigil audit verify`: the HMAC chain, then every checkpoint (the database's newest, the data
 * directory's, and each `--checkpoint FILE`): its signature, and whether the log still holds the
 * head it signed. Exit 1 on a broken chain, a bad signature, truncation or a rewrite.
 */
async function verify(
  ctx: VigilContext,
  io: CliIo,
  given: ReturnType<typeof readCheckpointFile>[],
  json: boolean,
): Promise<number> {
  const chain = await ctx.store.verifyAudit();
  const checks = await checkpointsOf(ctx).check(chain, given);
  const ok = chain.ok && checks.every((c) => c.ok);
  if (json) {
    io.out(
      JSON.stringify({
        ok,
        entries: chain.entries,
        firstBroken: chain.firstBroken,
        truncated: checks.some((c) => c.problem?.startsWith('TRUNCATED') ?? false),
        checkpoints: checks.map((c) => ({ ...c, at: iso(c.at) })),
      }),
    );
    return ok ? 0 : 1;
  }
  if (chain.ok) io.out(`audit chain intact: ${chain.entries} entries (HMAC-SHA256)`);
  else io.out(`audit chain BROKEN at entry ${chain.firstBroken} (of ${chain.entries})`);
  if (checks.length === 0) {
    io.out(
      'no checkpoint yet: entries removed at the tail could not be noticed (run `vigil audit checkpoint`)',
    );
  }
  for (const c of checks) {
    const what = `checkpoint #${c.seq} of ${iso(c.at)} (${c.entries} entries) from ${c.source}`;
    io.out(c.ok ? `${what}: OK` : `${what}: ${c.problem}`);
  }
  return ok ? 0 : 1;
}
