import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lintDeps, parseImports } from '../tools/lint-deps.ts';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A src/ tree in a temp dir: path -> source. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'vigil-lint-deps-'));
  roots.push(root);
  for (const [p, src] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), src);
  }
  return root;
}

const rulesOf = (root: string) => lintDeps(root).violations.map((v) => `${v.rule} ${v.file}`);

describe('lint:deps', () => {
  it('passes on this repository', () => {
    const { violations, cycles } = lintDeps(join(import.meta.dirname, '..', 'src'));
    assert.deepEqual(violations, []);
    assert.deepEqual(cycles, []);
  });

  it('reads multi-line, re-exported, side-effect and dynamic imports, and tells type-only ones', () => {
    const refs = parseImports(
      [
        "import {\n  a,\n  type B,\n  c as d,\n} from './x.ts';",
        "import type { T } from './t.ts';",
        "export { e } from './e.ts';",
        "export type { F } from './f.ts';",
        "import 'reflect-metadata';",
        "const m = await import('./lazy.ts');",
        "import * as crypto from 'node:crypto';",
      ].join('\n'),
    );
    const bySpec = new Map(refs.map((r) => [r.specifier, r]));
    assert.deepEqual(bySpec.get('./x.ts')?.names, ['a', 'B', 'c']);
    assert.equal(bySpec.get('./x.ts')?.typeOnly, false);
    assert.equal(bySpec.get('./t.ts')?.typeOnly, true);
    assert.equal(bySpec.get('./e.ts')?.typeOnly, false);
    assert.equal(bySpec.get('./f.ts')?.typeOnly, true);
    assert.ok(bySpec.has('reflect-metadata'));
    assert.ok(bySpec.has('./lazy.ts'));
    assert.equal(bySpec.get('node:crypto')?.whole, true);
  });

  it('fails on a folder-level cycle of run-time imports', () => {
    const cyclic = tree({
      'a/one.ts': "import { two } from '../b/two.ts';\nexport const one = two;\n",
      'b/two.ts': "import { three } from '../c/three.ts';\nexport const two = three;\n",
      'c/three.ts': "import {\n  one,\n} from '../a/one.ts';\nexport const three = 3;\nexport { one };\n",
    });
    const { cycles, violations } = lintDeps(cyclic);
    assert.deepEqual(cycles, [['a', 'b', 'c']]);
    assert.ok(
      violations.some((v) => v.rule === 'cycle' && v.message.startsWith('folder-level import cycle')),
    );
  });

  it('fails on a cycle of type-only imports too, but not on adapters implementing the ports they import', () => {
    const typesOnly = tree({
      'a/one.ts': "import type { Two } from '../b/two.ts';\nexport type One = Two;\n",
      'b/two.ts': "import type { One } from '../a/one.ts';\nexport type Two = { one?: One };\n",
    });
    const r = lintDeps(typesOnly);
    assert.deepEqual(r.cycles, [], 'no run-time cycle');
    assert.deepEqual(
      r.violations.map((v) => `${v.rule} ${v.file}`),
      ['cycle a <-> b'],
    );
    const ports = tree({
      'storage/store.ts':
        "import type { Alarm } from '../alarms/alarm.ts';\nexport type Store = { a?: Alarm };\n",
      'alarms/alarm.ts': 'export type Alarm = { id: string };\n',
      'alarms/alarm-store.ts':
        "import type { Store } from '../storage/store.ts';\nexport type AlarmStore = { s?: Store };\n",
      'storage/adapters/sqlite-alarm-store.ts':
        "import type { AlarmStore } from '../../alarms/alarm-store.ts';\nexport type X = AlarmStore;\n",
    });
    assert.deepEqual(
      lintDeps(ports).violations.map((v) => v.file),
      ['alarms <-> storage'],
      'the port folders themselves still may not point at each other',
    );
    const layered = tree({
      'alarms/alarm-store.ts':
        "import type { Reading } from '../storage/store.ts';\nexport type AlarmStore = { r?: Reading };\n",
      'storage/store.ts': 'export type Reading = { ts: number };\n',
      'storage/adapters/sqlite-alarm-store.ts':
        "import type { AlarmStore } from '../../alarms/alarm-store.ts';\nimport type { Reading } from '../store.ts';\nexport type X = AlarmStore | Reading;\n",
    });
    assert.deepEqual(lintDeps(layered).violations, []);
  });

  it('fails when the pure core imports an I/O module, a random source or code outside the core', () => {
    const root = tree({
      'protocol/aead.ts':
        "import { createCipheriv, hkdfSync } from 'node:crypto';\nexport { createCipheriv, hkdfSync };\n",
      'protocol/nonce.ts':
        "import { randomBytes } from 'node:crypto';\nexport const n = () => randomBytes(12);\n",
      'rules/file.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
      'coldchain/net.ts': "import { connect } from 'node:net';\nexport const c = connect;\n",
      'sim/model/store.ts': "import { s } from '../../storage/s.ts';\nexport const m = s;\n",
      'storage/s.ts': 'export const s = 1;\n',
      'random/rng.ts': '// never Math.random()\nexport const r = (seed: number) => seed;\n',
      'rules/clock.ts': 'export const now = () => Date.now();\n',
      'errors-user.ts': '',
    });
    const got = rulesOf(root);
    assert.ok(got.includes('pure-core protocol/nonce.ts:1'), got.join('\n'));
    assert.ok(got.includes('pure-core rules/file.ts:1'));
    assert.ok(got.includes('pure-core coldchain/net.ts:1'));
    assert.ok(got.includes('pure-core sim/model/store.ts:1'));
    assert.ok(got.includes('pure-core rules/clock.ts:1'));
    assert.equal(
      got.some((g) => g.includes('protocol/aead.ts') || g.includes('random/rng.ts')),
      false,
    );
  });

  it('keeps fixtures out of the runtime graph and the composition root out of every importer but start', () => {
    const root = tree({
      'auth/auth.fixture.ts': 'export const f = 1;\n',
      'auth/login.ts': "import { f } from './auth.fixture.ts';\nexport const l = f;\n",
      'auth/login.test.ts': "import { f } from './auth.fixture.ts';\nvoid f;\n",
      'server/start-server.ts': 'export const start = 1;\n',
      'cli/commands/start.ts':
        "import { start } from '../../server/start-server.ts';\nexport const s = start;\n",
      'cli/commands/sim.ts':
        "import { start } from '../../server/start-server.ts';\nexport const s = start;\n",
      'api/routes/x.ts': "import type { C } from '../../data-dir/context.ts';\nexport type X = C;\n",
      'data-dir/context.ts': 'export type C = number;\n',
    });
    const got = rulesOf(root);
    assert.deepEqual(got.sort(), [
      'layer api/routes/x.ts:1',
      'layer cli/commands/sim.ts:1',
      'test-support auth/login.ts:1',
    ]);
  });
});
