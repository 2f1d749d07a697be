/**
 * A backup that is not exactly what this installation wrote is refused with a clear error and
 * exit 1: one changed byte anywhere (age header, first chunk, middle, last byte), a truncated
 * file, a wrong identity, a backup signed by another installation, and, for someone holding the
 * identity, a re-packed archive with one part changed under the original signed manifest or a
 * manifest edited after signing. Verification leaves no extracted file behind.
 */
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  generateBackupIdentity,
  identityFileText,
  readIdentityFile,
  writeIdentityFile,
} from '../src/backup/age-identity.ts';
import { readArchive, writeArchive } from '../src/backup/backup-archive.ts';
import { MANIFEST_NAME, SIGNATURE_NAME } from '../src/backup/backup-manifest.ts';
import { runBackup } from '../src/backup/backup-run.ts';
import { withOpenedBackup } from '../src/backup/open-backup.ts';
import { restoreBackup } from '../src/backup/restore-backup.ts';
import { openContext } from '../src/data-dir/context.ts';
import { databaseSnapshots } from '../src/data-dir/snapshots.ts';
import { isVigilError } from '../src/errors.ts';
import { loadOrCreateReportSigner } from '../src/reports/signing.ts';
import { MASTER_KEY_HEX } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

let work: string;
let nodeA: string;
let nodeB: string;
let identity: string;
let good: string;
let foreign: string;

const vigil = (args: string[], dataDir = nodeA) => runVigil(args, { dataDir, timeoutMs: 90_000 });

/** A copy of `good` changed by `fn`. */
function variant(name: string, fn: (b: Buffer) => Buffer): string {
  const p = join(work, name);
  writeFileSync(p, fn(Buffer.from(readFileSync(good))));
  return p;
}

function flip(at: (len: number) => number): (b: Buffer) => Buffer {
  return (b) => {
    const i = at(b.length);
    b[i] = (b[i] ?? 0) ^ 0x01;
    return b;
  };
}

/** Everything under the system temp dir named like an extraction directory. */
function openDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('.vigil-backup-open-'));
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'vigil-backup-tamper-'));
  nodeA = join(work, 'a');
  nodeB = join(work, 'b');
  identity = join(work, 'id.txt');
  assert.equal((await vigil(['init'])).code, 0);
  const add = await vigil(['device', 'add', 'truck-0100', '--profile', 'vaccine-transport']);
  assert.equal(add.code, 0, add.stderr);
  const init = await vigil(['backup', 'init', '--identity-out', identity]);
  assert.equal(init.code, 0, init.stderr);
  const created = await vigil(['backup', 'create', '--json']);
  assert.equal(created.code, 0, created.stderr);
  good = JSON.parse(created.stdout).file;
  // Another installation encrypting to the same (public) recipient: age alone cannot tell.
  const recipient = JSON.parse(readFileSync(join(nodeA, 'config.json'), 'utf8')).backup.recipients[0];
  const ctxB = await openContext({
    dataDir: nodeB,
    env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX },
    logLevel: 'silent',
    create: true,
    createAdmin: false,
  });
  try {
    const r = await runBackup(
      {
        paths: ctxB.paths,
        config: { ...ctxB.config, backup: { ...ctxB.config.backup, recipients: [recipient] } },
        master: ctxB.master,
        snapshots: databaseSnapshots(ctxB),
        signer: () => loadOrCreateReportSigner(ctxB.paths.pkiDir, ctxB.master),
        audit: ctxB.store,
        clock: ctxB.clock,
      },
      { actor: 'test' },
    );
    foreign = r.backup.file;
  } finally {
    await ctxB.close();
  }
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('backup verify refuses anything but the original', () => {
  it('accepts the untouched backup', async () => {
    const r = await vigil(['backup', 'verify', good, '--identity', identity]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /backup OK/);
    assert.match(r.stdout, /this installation's key/);
  });

  it('refuses one changed byte anywhere and a truncated file, leaving no extracted file behind', async () => {
    const ids = readIdentityFile(identity);
    const trusted = readFileSync(join(nodeA, 'pki', 'report-signing.pub'), 'utf8');
    const size = statSync(good).size;
    const header = readFileSync(good).indexOf('\n---');
    const cases: [string, string][] = [
      [
        'header byte',
        variant(
          'h.age',
          flip(() => 60),
        ),
      ],
      [
        'header MAC',
        variant(
          'm.age',
          flip(() => header + 10),
        ),
      ],
      [
        'first chunk',
        variant(
          'f.age',
          flip(() => header + 80),
        ),
      ],
      [
        'middle byte',
        variant(
          'mid.age',
          flip((n) => Math.floor(n / 2)),
        ),
      ],
      [
        'last byte',
        variant(
          'last.age',
          flip((n) => n - 1),
        ),
      ],
      ['truncated by 1 byte', variant('t1.age', (b) => b.subarray(0, b.length - 1))],
      ['truncated to half', variant('t2.age', (b) => b.subarray(0, Math.floor(size / 2)))],
    ];
    for (const [what, file] of cases) {
      await assert.rejects(
        withOpenedBackup(
          { file, identities: ids, trustedPem: trusted, snapshots: databaseSnapshots() },
          async () => 'opened',
        ),
        (e) => isVigilError(e, 'VIGIL_ERR_BACKUP_INVALID') || isVigilError(e, 'VIGIL_ERR_BACKUP_IDENTITY'),
        what,
      );
    }
    assert.deepEqual(openDirs(), [], 'an extraction directory was left behind');
  });

  it('the CLI exits 1 with a clear error for a changed byte, a wrong identity and a foreign signature', async () => {
    const otherId = join(work, 'other-id.txt');
    writeIdentityFile(otherId, identityFileText(await generateBackupIdentity(), new Date()));
    const cases: [string, string, string, RegExp][] = [
      [
        'middle byte',
        variant(
          'cli-mid.age',
          flip((n) => Math.floor(n / 2)),
        ),
        identity,
        /VIGIL_ERR_BACKUP_INVALID/,
      ],
      ['wrong identity', good, otherId, /VIGIL_ERR_BACKUP_IDENTITY/],
      ['foreign signature', foreign, identity, /foreign key.*VIGIL_ERR_BACKUP_INVALID/],
    ];
    const results = await Promise.all(
      cases.map(([, file, id]) => vigil(['backup', 'verify', file, '--identity', id])),
    );
    for (const [i, [what, , , code]] of cases.entries()) {
      const r = results[i];
      assert.equal(r?.code, 1, `${what}: exit ${r?.code}\n${r?.stdout}${r?.stderr}`);
      assert.match(r?.stderr ?? '', code, what);
      assert.doesNotMatch(r?.stderr ?? '', /internal error/, what);
    }
  });

  it('restore refuses a target that is not empty and leaves it as it was', async () => {
    const target = join(work, 'occupied');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'mine');
    await assert.rejects(
      restoreBackup({
        file: good,
        identities: readIdentityFile(identity),
        target,
        snapshots: databaseSnapshots(),
        env: {},
      }),
      (e) => isVigilError(e, 'VIGIL_ERR_TARGET_NOT_EMPTY'),
    );
    assert.deepEqual(readdirSync(target), ['keep.txt']);
  });

  it('refuses a re-packed archive with one changed part under the original signed manifest', async () => {
    const ids = readIdentityFile(identity);
    const recipient = JSON.parse(readFileSync(join(nodeA, 'config.json'), 'utf8')).backup.recipients;
    const dir = mkdtempSync(join(work, 'x-'));
    const { memory } = await readArchive({
      file: good,
      identities: ids,
      intoDir: dir,
      keepInMemory: [MANIFEST_NAME, SIGNATURE_NAME],
    });
    const manifest = JSON.parse((memory.get(MANIFEST_NAME) as Buffer).toString('utf8')) as {
      parts: { name: string }[];
    };
    const repack = async (
      out: string,
      change: (name: string, data: Buffer) => Buffer,
      manifestBytes: Buffer,
    ) => {
      await writeArchive({
        outPath: out,
        recipients: recipient,
        parts: manifest.parts.map((p) => ({
          name: p.name,
          data: change(p.name, readFileSync(join(dir, p.name))),
        })),
        trailer: () => [
          { name: MANIFEST_NAME, data: manifestBytes },
          { name: SIGNATURE_NAME, data: memory.get(SIGNATURE_NAME) as Buffer },
        ],
      });
    };
    const trusted = readFileSync(join(nodeA, 'pki', 'report-signing.pub'), 'utf8');
    const open = (file: string) =>
      withOpenedBackup(
        { file, identities: ids, trustedPem: trusted, snapshots: databaseSnapshots() },
        async () => 'opened',
      );

    const sameParts = join(work, 'same.age');
    await repack(sameParts, (_n, d) => d, memory.get(MANIFEST_NAME) as Buffer);
    assert.equal(await open(sameParts), 'opened', 're-packing itself changes nothing');

    const changedPart = join(work, 'part.age');
    await repack(
      changedPart,
      (n, d) => (n === 'pki/ca.crt' ? Buffer.concat([d, Buffer.from('\n')]) : d),
      memory.get(MANIFEST_NAME) as Buffer,
    );
    await assert.rejects(
      open(changedPart),
      (e) => isVigilError(e, 'VIGIL_ERR_BACKUP_INVALID') && /pki\/ca\.crt/.test(e.message),
    );

    const edited = join(work, 'edited.age');
    const text = (memory.get(MANIFEST_NAME) as Buffer).toString('utf8').replace('"format"', '"format" ');
    await repack(edited, (_n, d) => d, Buffer.from(text));
    await assert.rejects(
      open(edited),
      (e) => isVigilError(e, 'VIGIL_ERR_BACKUP_INVALID') && /signature/.test(e.message),
    );
    copyFileSync(good, join(work, 'still-good.age'));
    assert.equal(await open(join(work, 'still-good.age')), 'opened');
  });
});
