import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file.ts';
import type { ReportSigner } from '../reports/signing.ts';
import type { AuditVerification } from '../storage/audit-chain.ts';
import type { AuditCheckpointRecord, Store } from '../storage/store.ts';
import {
  checkpointJson,
  checkpointSignatureValid,
  compareWithLog,
  parseCheckpoint,
  signCheckpoint,
} from './audit-checkpoint.ts';

/** Dependencies of {@link AuditCheckpoints}. */
export interface AuditCheckpointsDeps {
  store: Pick<Store, 'auditHead' | 'auditHashAt' | 'addAuditCheckpoint' | 'latestAuditCheckpoint'>;
  /** The report-signing key (opened from its sealed file with the master key). */
  signer: ReportSigner;
  /** The newest checkpoint outside the database (`<data-dir>/audit-checkpoint.json`). */
  file: string;
  clock: () => number;
}

/** How one checkpoint compares with the log. */
export interface CheckpointCheck {
  /** Where it came from: `database`, `data-dir`, or a file given on the command line. */
  source: string;
  seq: number;
  at: number;
  entries: number;
  ok: boolean;
  /** What is wrong: a bad signature, truncation or rewrite; null when ok. */
  problem: string | null;
}

/**
 * Makes, keeps and checks signed checkpoints (audit-checkpoint.ts): each new one goes to the
 * database table and to the data-directory file, whose `seq` only ever grows (a checkpoint is
 * written there only when it is newer than the one already there).
 */
export class AuditCheckpoints {
  readonly #d: AuditCheckpointsDeps;

  constructor(deps: AuditCheckpointsDeps) {
    this.#d = deps;
  }

  /** The checkpoint in the data-directory file, or null when there is none. */
  fileCheckpoint(): AuditCheckpointRecord | null {
    if (!existsSync(this.#d.file)) return null;
    return parseCheckpoint(readFileSync(this.#d.file, 'utf8'), this.#d.file);
  }

  /** Signs the current head as a new checkpoint and keeps it (database and file). */
  async create(): Promise<AuditCheckpointRecord> {
    const head = await this.#d.store.auditHead();
    const inDb = await this.#d.store.latestAuditCheckpoint();
    const inFile = this.#readFileQuietly();
    // The counter continues from the highest seen anywhere, so a rolled-back table cannot reuse it.
    const seq = Math.max(inDb?.seq ?? 0, inFile?.seq ?? 0) + 1;
    const cp = signCheckpoint(
      {
        seq,
        at: this.#d.clock(),
        entries: head?.id ?? 0,
        headId: head?.id ?? 0,
        headHash: head?.hash ?? '0'.repeat(64),
      },
      this.#d.signer,
    );
    await this.#d.store.addAuditCheckpoint(cp);
    if (!inFile || inFile.seq < cp.seq) writeFileAtomic(this.#d.file, `${checkpointJson(cp)}\n`, 0o600);
    return cp;
  }

  /** A new checkpoint when the log grew since the newest one (the periodic job); else null. */
  async createIfAdvanced(): Promise<AuditCheckpointRecord | null> {
    const head = await this.#d.store.auditHead();
    const last = await this.#d.store.latestAuditCheckpoint();
    if ((head?.id ?? 0) === (last?.entries ?? 0) && last) return null;
    return this.create();
  }

  /**
   * Compares the log with the newest checkpoint of the database, the one in the data directory
   * and every given one. `chain` is the log's verification (its entry count).
   */
  async check(
    chain: AuditVerification,
    given: { source: string; checkpoint: AuditCheckpointRecord }[] = [],
  ): Promise<CheckpointCheck[]> {
    const all: { source: string; checkpoint: AuditCheckpointRecord }[] = [];
    const inDb = await this.#d.store.latestAuditCheckpoint();
    if (inDb) all.push({ source: 'database', checkpoint: inDb });
    const inFile = this.fileCheckpoint();
    if (inFile) all.push({ source: this.#d.file, checkpoint: inFile });
    all.push(...given);
    const key = createPublicKey(this.#d.signer.publicKeyPem);
    const out: CheckpointCheck[] = [];
    for (const { source, checkpoint: cp } of all) {
      let problem: string | null = null;
      if (!checkpointSignatureValid(cp, key, this.#d.signer.fingerprint)) {
        problem = `checkpoint #${cp.seq}: signature invalid (not signed by this installation's key ${this.#d.signer.fingerprint})`;
      } else {
        problem =
          (
            await compareWithLog(cp, {
              entries: chain.entries,
              hashAt: (id) => this.#d.store.auditHashAt(id),
            })
          )?.message ?? null;
      }
      out.push({ source, seq: cp.seq, at: cp.at, entries: cp.entries, ok: problem === null, problem });
    }
    return out;
  }

  #readFileQuietly(): AuditCheckpointRecord | null {
    try {
      return this.fileCheckpoint();
    } catch {
      // an unreadable file is reported by `check`; a new checkpoint replaces it
      return null;
    }
  }
}
