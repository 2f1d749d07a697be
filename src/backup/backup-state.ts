/**
 * What happened to backups, drills and the off-site hook, in `<data-dir>/backup-state.json`: the
 * CLI (`vigil backup create|verify|drill`) and the server's schedule both write it, the system
 * page and /metrics read it. Written atomically; a missing or unreadable file means "nothing yet".
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../data-dir/context.ts';

const iso = z.iso.datetime();
const stateSchema = z.object({
  lastBackup: z
    .object({ at: iso, file: z.string(), bytes: z.number(), durationMs: z.number() })
    .nullable()
    .default(null),
  lastFailure: z.object({ at: iso, error: z.string() }).nullable().default(null),
  lastVerify: z
    .object({ at: iso, file: z.string(), ok: z.boolean(), error: z.string().optional() })
    .nullable()
    .default(null),
  lastDrill: z
    .object({
      at: iso,
      file: z.string().nullable(),
      ok: z.boolean(),
      rpoMs: z.number().nullable(),
      rtoMs: z.number().nullable(),
      error: z.string().optional(),
    })
    .nullable()
    .default(null),
  lastHook: z
    .object({
      at: iso,
      file: z.string(),
      ok: z.boolean(),
      exitCode: z.number().nullable(),
      durationMs: z.number(),
      error: z.string().optional(),
    })
    .nullable()
    .default(null),
});

export type BackupState = z.infer<typeof stateSchema>;

export function readBackupState(path: string): BackupState {
  try {
    return stateSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return stateSchema.parse({});
  }
}

/** Read-modify-write of one or more fields. */
export function updateBackupState(path: string, patch: Partial<BackupState>): BackupState {
  const next = { ...readBackupState(path), ...patch };
  writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`, 0o600);
  return next;
}
