import { join, resolve } from 'node:path';
import { batchView, claimView, quarantineView } from '../../claims/claim-view.ts';
import { writeFileAtomic } from '../../data-dir/context.ts';
import { createLifecycleServices } from '../../lifecycle/lifecycle-services.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import { type CliIo, parseDuration, parsePositiveInt, usage } from '../io.ts';

const CLAIM_CERT_HELP = `usage:
  vigil claim-cert create --batch NAME --uses N --expires 30d [--out DIR] [--json]

A shared claim certificate for a factory batch: devices flashed with it may only publish a claim
on vigil/v1/claims/{serial} and read vigil/v1/claims/{serial}/reply. Writes claim.crt, claim.key
and ca.crt to DIR (default <data-dir>/claims/NAME).`;

const CLAIMS_HELP = `usage:
  vigil claims list [--state pending|approved|refused|all] [--json]
  vigil claims approve SERIAL --device-id ID [--json]
  vigil claims reject SERIAL [--reason TEXT]
  vigil claims batches [--json]
  vigil claims quarantine [--json]      identities with valid TLS that Vigil does not know, with counts`;

const iso = (s: string | null) => s ?? '-';

/** `vigil claim-cert create`. */
export async function claimCertCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
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
  if (!sub || sub === 'help' || sub === '--help') {
    io.out(CLAIM_CERT_HELP);
    return sub ? 0 : 2;
  }
  if (sub !== 'create') usage(`unknown claim-cert command "${sub}"\n${CLAIM_CERT_HELP}`);
  if (!values.batch) usage(`--batch is required\n${CLAIM_CERT_HELP}`);
  const uses = parsePositiveInt('--uses', values.uses, 1_000_000);
  if (uses === undefined) usage(`--uses is required\n${CLAIM_CERT_HELP}`);
  const expiresMs = parseDuration('--expires', values.expires ?? '30d') as number;
  return withDataDir(values['data-dir'], async (ctx) => {
    const { claims } = createLifecycleServices(ctx);
    const made = await claims.createBatch({ name: values.batch as string, uses, expiresMs, actor: 'cli' });
    const dir = resolve(values.out ?? join(ctx.paths.dataDir, 'claims', made.batch.name));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
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
  const { values, positionals } = parseCommand(rest, {
    state: { type: 'string' },
    'device-id': { type: 'string' },
    reason: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (!sub || sub === 'help' || sub === '--help') {
    io.out(CLAIMS_HELP);
    return sub ? 0 : 2;
  }
  const serial = positionals[0] ?? '';
  if ((sub === 'approve' || sub === 'reject') && !serial) usage(`SERIAL required\n${CLAIMS_HELP}`);
  if (sub === 'approve' && !values['device-id']) usage(`--device-id is required\n${CLAIMS_HELP}`);
  const state = values.state ?? 'all';
  if (!['pending', 'approved', 'refused', 'all'].includes(state))
    usage('--state must be pending, approved, refused or all');
  return withDataDir(values['data-dir'], async (ctx) => {
    const { claims } = createLifecycleServices(ctx);
    switch (sub) {
      case 'list': {
        const list = await ctx.claimStore.listClaims(state === 'all' ? {} : { state: state as 'pending' });
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
          const q = await ctx.claimStore.listQuarantine();
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
        const list = (await ctx.claimStore.listBatches()).map(batchView);
        if (values.json) for (const b of list) io.out(JSON.stringify(b));
        else
          for (const b of list)
            io.out(`${b.name.padEnd(20)} ${b.uses}/${b.maxUses} uses, until ${iso(b.expiresAt)}`);
        return 0;
      }
      case 'quarantine': {
        const list = (await ctx.claimStore.listQuarantine()).map(quarantineView);
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
        usage(`unknown claims command "${sub}"\n${CLAIMS_HELP}`);
    }
  });
}
