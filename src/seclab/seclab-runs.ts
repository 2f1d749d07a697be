import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { SeclabRunView } from '../api/seclab-schema.ts';
import { VigilError } from '../errors.ts';
import type { Store } from '../storage/store.ts';
import type { SeclabReport } from './seclab-types.ts';

const BIN = fileURLToPath(new URL('../../bin/vigil', import.meta.url));
/** A quick run takes under 2 minutes; one that is still going after this is stopped. */
const RUN_LIMIT_MS = 15 * 60_000;

const TYPES: Record<string, string> = {
  md: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
};

function viewOf(id: string, r: SeclabReport): SeclabRunView {
  const base = `/api/v1/seclab/runs/${id}/files`;
  return {
    id,
    mode: r.mode,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    target: r.target.kind,
    summary: r.summary,
    notable: r.scenarios
      .filter((s) => s.verdict !== 'refused')
      .map((s) => ({ id: s.id, verdict: s.verdict, observed: s.observed })),
    families: [...new Set(r.scenarios.map((s) => s.family))],
    files: { report: `${base}/seclab-report.md`, json: `${base}/seclab-report.json` },
  };
}

/**
 * The runs the dashboard knows: reports under `<data-dir>/seclab/<run id>/` (written by
 * `vigil seclab --data-dir DIR` and by runs started here), and the one quick run this server may
 * have in progress, a `vigil seclab --quick` child process against a throwaway Vigil, so the
 * production instance itself is not attacked. Stopped with the server.
 */
export class SeclabRunner {
  readonly #dir: string;
  readonly #audit: Pick<Store, 'appendAudit'>;
  readonly #logger: Logger;
  readonly #clock: () => number;
  #child: { proc: ChildProcess; id: string; startedAt: string; timer: NodeJS.Timeout } | undefined;

  constructor(o: {
    dataDir: string;
    audit: Pick<Store, 'appendAudit'>;
    logger: Logger;
    clock: () => number;
  }) {
    this.#dir = join(o.dataDir, 'seclab');
    this.#audit = o.audit;
    this.#logger = o.logger;
    this.#clock = o.clock;
  }

  async latest(): Promise<SeclabRunView | null> {
    if (!existsSync(this.#dir)) return null;
    const ids = readdirSync(this.#dir)
      .filter((d) => /^[0-9TZ-]{20,40}$/.test(d))
      .sort()
      .reverse();
    for (const id of ids) {
      try {
        const r = JSON.parse(readFileSync(join(this.#dir, id, 'seclab-report.json'), 'utf8')) as SeclabReport;
        if (r.kind === 'vigil-seclab-report') return viewOf(id, r);
      } catch {
        // No report (still running, or stopped early): look at the run before.
      }
    }
    return null;
  }

  running(): { id: string; startedAt: string } | null {
    return this.#child ? { id: this.#child.id, startedAt: this.#child.startedAt } : null;
  }

  async start(actor: string): Promise<{ id: string; startedAt: string }> {
    if (this.#child) throw new VigilError('VIGIL_ERR_SECLAB_RUNNING');
    const now = this.#clock();
    const startedAt = new Date(now).toISOString();
    const id = startedAt.replace(/[:.]/g, '-');
    const out = join(this.#dir, id);
    mkdirSync(out, { recursive: true, mode: 0o700 });
    const env: NodeJS.ProcessEnv = { ...process.env };
    // The run attacks its own throwaway Vigil: nothing of this installation goes with it.
    delete env.VIGIL_DATA_DIR;
    delete env.VIGIL_MASTER_KEY;
    // Its own process group: stopping the run reaches its throwaway Vigil too (see stop()).
    const proc = spawn(process.execPath, [BIN, 'seclab', '--quick', '--out', out], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const log = createWriteStream(join(out, 'seclab.log'), { mode: 0o600 });
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    const timer = setTimeout(() => this.#signal(proc, 'SIGTERM'), RUN_LIMIT_MS);
    timer.unref();
    this.#child = { proc, id, startedAt, timer };
    await this.#audit.appendAudit({
      ts: now,
      actor,
      action: 'seclab.start',
      object: id,
      detail: { mode: 'quick', pid: proc.pid ?? null },
    });
    this.#logger.info({ run: id, actor }, 'seclab run started');
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      log.end();
      if (this.#child?.id === id) this.#child = undefined;
      void this.latest()
        .then((v) =>
          this.#audit.appendAudit({
            ts: this.#clock(),
            actor: 'system',
            action: 'seclab.finish',
            object: id,
            detail: {
              exitCode: code,
              signal,
              ...(v?.id === id
                ? {
                    scenarios: v.summary.scenarios,
                    gotThrough: v.summary.gotThrough,
                    degraded: v.summary.degraded,
                  }
                : {}),
            },
          }),
        )
        .catch((err: unknown) => this.#logger.error({ err }, 'seclab audit failed'));
      this.#logger.info({ run: id, exitCode: code, signal }, 'seclab run finished');
    });
    return { id, startedAt };
  }

  async file(id: string, name: string): Promise<{ body: Buffer; type: string } | null> {
    if (
      !/^[0-9TZ-]{20,40}$/.test(id) ||
      !/^(seclab-report\.(md|json)|[a-z0-9][a-z0-9.-]{0,79}\.svg)$/.test(name)
    )
      return null;
    const path = name.endsWith('.svg') ? join(this.#dir, id, 'charts', name) : join(this.#dir, id, name);
    if (!existsSync(path)) return null;
    return {
      body: readFileSync(path),
      type: TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
    };
  }

  /** Signals the run's whole process group (seclab and the Vigil it started). */
  #signal(proc: ChildProcess, sig: NodeJS.Signals): void {
    try {
      if (proc.pid) process.kill(-proc.pid, sig);
    } catch {
      // Already gone.
    }
  }

  /** Stops a run in progress (it removes its throwaway instance) and waits for it, bounded. */
  async stop(): Promise<void> {
    const c = this.#child;
    if (!c) return;
    this.#signal(c.proc, 'SIGTERM');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.#signal(c.proc, 'SIGKILL');
        resolve();
      }, 8000);
      c.proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
