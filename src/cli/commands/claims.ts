import { join, resolve } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../../atomic-file.ts';
import { batchView, claimView, quarantineView } from '../../claims/claim-view.ts';
import { BATCH_NAME_RE } from '../../lifecycle/claim-service.ts';
import { createLifecycleServices } from '../../lifecycle/lifecycle-services.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, parseDuration, parsePositiveInt, usage } from '../io.ts';

export const claimCertHelp: CommandHelp = {
  forms: {
    create: {
      synopsis: 'claim-cert create --batch NAME --uses N --expires 30d [--out DIR] [--json]',
      about:
        'A claim certificate shared by a factory batch (docs/protocol.md §14): devices flashed with it may only publish a claim on vigil/v1/claims/{serial} and read vigil/v1/claims/{serial}/reply. Writes claim.crt, claim.key and ca.crt to DIR.',
      options: [
        ['--batch NAME', 'the batch name'],
        ['--uses N', 'how many claims it may make (1 to 1000000)'],
        ['--expires D', 'how long it is valid (default 30d)'],
        ['--out DIR', 'where the files go (default DATA_DIR/claims/NAME)'],
        ['--json', 'print the batch as one JSON object'],
      ],
    },
  },
};

export const claimsHelp: CommandHelp = {
  forms: {
    list: {
      synopsis: 'claims list [--state pending|approved|refused|all] [--json]',
      about: 'Provisioning claims, newest first: serial, batch, state, the device id given, attempts.',
      options: [
        ['--state S', 'only claims in this state: pending, approved, refused, all (default all)'],
        ['--json', 'one JSON object per claim (NDJSON)'],
      ],
    },
    approve: {
      synopsis: 'claims approve SERIAL --device-id ID [--json]',
      about:
        'Approves a pending claim as device ID: the device gets its own certificate (CN = ID) and derives its kid-1 secret by ECDH when it asks again. Audited.',
      options: [
        ['--device-id ID', 'the id the device gets'],
        ['--json', 'print the claim as one JSON object'],
      ],
    },
    reject: {
      synopsis: 'claims reject SERIAL [--reason TEXT]',
      about: 'Refuses a pending claim. Audited.',
      options: [['--reason TEXT', 'why (audited)']],
    },
    batches: {
      synopsis: 'claims batches [--json]',
      about: 'The claim certificates by batch, with uses and expiry.',
      options: [['--json', 'one JSON object per batch (NDJSON)']],
    },
    quarantine: {
      synopsis: 'claims quarantine [--json]',
      about: 'Identities with valid TLS that Vigil does not know, with counts of their attempts.',
      options: [['--json', 'one JSON object per identity (NDJSON)']],
    },
  },
};

const iso = (s: string | null) => s ?? '-';

/** `vigil claim-cert create`. */
export async function claimCertCommand(argv: string[], io: CliIo): Promise<number> {
  const [, ...rest] = argv;
  const { values } = parseCommand(
    rest,
    {
      batch: { type: 'string' },
      uses: { type: 'string' },
      expires: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    { positionals: false },
  );
  if (!values.batch) usage('--batch is required');
  const uses = parsePositiveInt('--uses', values.uses, 1_000_000);
  if (uses === undefined) usage('--uses is required');
  const expiresMs = parseDuration('--expires', values.expires ?? '30d') as number;
  const batch = values.batch;
  if (!BATCH_NAME_RE.test(batch)) usage(`--batch must match ${BATCH_NAME_RE.source}`);
  return withDataDir(values['data-dir'], async (ctx) => {
    const { claims } = createLifecycleServices(ctx);
    // Before the batch is created: a directory others can write to is refused (they could swap
    // the key between our writes), so bad input changes nothing.
    const dir = resolve(values.out ?? join(ctx.paths.dataDir, 'claims', batch));
    ensurePrivateDir(dir);
    const made = await claims.createBatch({ name: batch, uses, expiresMs, actor: 'cli' });
    writeFileAtomic(join(dir, 'claim.crt'), made.certPem);
    writeFileAtomic(join(dir, 'claim.key'), made.keyPem, 0o600);
    writeFileAtomic(join(dir, 'ca.crt'), made.caPem);
    if (values.json) io.out(JSON.stringify({ ...batchView(made.batch), dir }));
    else {
      io.out(
        `claim certificate for batch ${made.batch.name}: ${uses} use(s), until ${new Date(made.batch.expiresAt).toISOString()}`,
      );
      io.out(
        `written to ${dir}: claim.crt, claim.key (a shared secret of the batch: flash it, keep it out of version control), ca.crt`,
      );
    }
    return 0;
  });
}

/** `vigil claims list|approve|reject|batches|quarantine`. */
export async function claimsCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommand(
    rest,
    {
      state: { type: 'string' },
      'device-id': { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    { positionals: sub === 'approve' || sub === 'reject' ? 1 : 0 },
  );
  const serial = positionals[0] ?? '';
  if ((sub === 'approve' || sub === 'reject') && !serial) usage('the claim SERIAL is missing');
  if (sub === 'approve' && !values['device-id']) usage('--device-id is required');
  const state = values.state ?? 'all';
  if (!['pending', 'approved', 'refused', 'all'].includes(state))
    usage('--state must be pending, approved, refused or all');
  return withDataDir(values['data-dir'], async (ctx) => {
    const { claims } = createLifecycleServices(ctx);
    switch (sub) {
      case 'list': {
        const list = await ctx.lifecycleStores.claims.listClaims(
          state === 'all' ? {} : { state: state as 'pending' },
        );
        if (values.json) for (const c of list) io.out(JSON.stringify(claimView(c)));
        else {
          io.out(
            `${'SERIAL'.padEnd(20)} ${'BATCH'.padEnd(16)} ${'STATE'.padEnd(9)} ${'DEVICE'.padEnd(20)} ${'TRIES'.padEnd(5)} RECEIVED`,
          );
          for (const c of list.map(claimView)) {
            io.out(
              `${c.serial.padEnd(20)} ${c.batch.padEnd(16)} ${c.state.padEnd(9)} ${(c.deviceId ?? '-').padEnd(20)} ${String(c.attempts).padEnd(5)} ${iso(c.receivedAt)}`,
            );
          }
          const q = await ctx.lifecycleStores.claims.listQuarantine();
          io.out(
            `${list.length} claim(s)${q.length ? `; ${q.length} quarantined identit${q.length === 1 ? 'y' : 'ies'} (vigil claims quarantine)` : ''}`,
          );
        }
        return 0;
      }
      case 'approve': {
        const c = await claims.approve(serial, values['device-id'] as string, 'cli');
        if (values.json) io.out(JSON.stringify(claimView(c)));
        else
          io.out(
            `claim ${serial} approved as device ${c.deviceId}; the device gets its identity when it asks again`,
          );
        return 0;
      }
      case 'reject': {
        const c = await claims.reject(serial, 'cli', values.reason);
        io.out(`claim ${c.serial} rejected`);
        return 0;
      }
      case 'batches': {
        const list = (await ctx.lifecycleStores.claims.listBatches()).map(batchView);
        if (values.json) for (const b of list) io.out(JSON.stringify(b));
        else
          for (const b of list)
            io.out(`${b.name.padEnd(20)} ${b.uses}/${b.maxUses} uses, until ${iso(b.expiresAt)}`);
        return 0;
      }
      case 'quarantine': {
        const list = (await ctx.lifecycleStores.claims.listQuarantine()).map(quarantineView);
        if (values.json) for (const q of list) io.out(JSON.stringify(q));
        else {
          for (const q of list)
            io.out(
              `${q.cn.padEnd(24)} ${q.certSerial.padEnd(34)} ${String(q.attempts).padStart(6)} attempt(s), last ${iso(q.lastSeen)}`,
            );
          io.out(`${list.length} quarantined identit${list.length === 1 ? 'y' : 'ies'}`);
        }
        return 0;
      }
      default:
        return usage(`unknown subcommand "${sub}"`);
    }
  });
}
