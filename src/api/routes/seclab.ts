import { z } from 'zod';
import { VigilError } from '../../errors.ts';
import { actorOf } from '../access.ts';
import type { RoutePlugin } from '../api-deps.ts';
import { type SeclabRunView, seclabRunningSchema, seclabStateSchema } from '../seclab-schema.ts';
import { principalOf } from './auth.ts';

/** The port the routes use (src/seclab/seclab-runs.ts implements it). */
export interface SeclabRuns {
  latest(): Promise<SeclabRunView | null>;
  running(): { id: string; startedAt: string } | null;
  /** Starts `vigil seclab --quick`; VIGIL_ERR_SECLAB_RUNNING when one runs already. */
  start(actor: string): Promise<{ id: string; startedAt: string }>;
  /** A file of run `id` (seclab-report.md, seclab-report.json, charts/NAME.svg), or null. */
  file(id: string, name: string): Promise<{ body: Buffer; type: string } | null>;
}

const RUN_ID = z.string().regex(/^[0-9TZ-]{20,40}$/);
const FILE = z.string().regex(/^(seclab-report\.md|seclab-report\.json|[a-z0-9.-]{1,80}\.svg)$/);

/** The security lab on the system page: the last run, the one in progress, starting a quick run. */
export function seclabRoutes(runs: SeclabRuns): RoutePlugin {
  return async (app) => {
    app.get(
      '/api/v1/seclab',
      {
        config: { access: 'system.read' },
        schema: {
          summary: 'The last `vigil seclab` run kept in the data directory, and the run in progress',
          tags: ['system'],
          response: { 200: seclabStateSchema },
        },
      },
      async () => ({ latest: await runs.latest(), running: runs.running() }),
    );

    app.post(
      '/api/v1/seclab/runs',
      {
        config: { access: 'seclab.run' },
        schema: {
          summary: 'Start `vigil seclab --quick` against a throwaway Vigil (about 2 minutes; audited)',
          description: 'One run at a time: 409 VIGIL_ERR_SECLAB_RUNNING while one is in progress.',
          tags: ['system'],
          response: { 202: seclabRunningSchema },
        },
      },
      async (req, reply) => reply.code(202).send(await runs.start(actorOf(principalOf(req)))),
    );

    app.get(
      '/api/v1/seclab/runs/:id/files/:name',
      {
        config: { access: 'system.read' },
        schema: {
          summary: "A file of a run's report: seclab-report.md, seclab-report.json or a chart (.svg)",
          tags: ['system'],
          params: z.strictObject({ id: RUN_ID, name: FILE }),
        },
      },
      async (req, reply) => {
        const f = await runs.file(req.params.id, req.params.name);
        if (!f) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'no such report file');
        return reply.header('content-type', f.type).send(f.body);
      },
    );
  };
}
