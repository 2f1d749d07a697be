/**
 * `npm run lint:deps`: the import rules of src/ (CONTRIBUTING.md, "Dependency rules").
 *
 * 1. No folder-level cycle, checked twice:
 *    - the top-level folders of src/ (api, alarms, storage, ...) form a directed acyclic graph
 *      through the imports that remain at run time. `import type` (and `export type`) is erased
 *      before the code runs (`verbatimModuleSyntax`), so it adds no edge there; `import { type A }`
 *      keeps the module load and does;
 *    - with type-only imports counted too, the graph is acyclic when the storage adapters
 *      (`storage/adapters`, which implement the ports of alarms, auth and shipments) count as a
 *      layer of their own: ports point inward, adapters point at the ports.
 * 2. The pure core (protocol, coldchain, rules, sim/model, random) does no I/O and reads no clock
 *    or random source: it imports only itself, src/errors.ts, `zod`, and from `node:crypto` only
 *    the deterministic primitives the protocol's AEAD, HMAC and HKDF need (never randomBytes and
 *    the like: a nonce or key arrives as an argument). Its code does not call Date.now(),
 *    new Date(), Math.random(), performance.now(), timers or process.
 * 3. Test support (`*.test.ts`, `*.fixture.ts`, `*-contract.ts`) stays out of the runtime graph.
 * 4. The composition root (src/server) is imported only by the `start` command; nothing outside
 *    src/cli imports src/cli; the API reaches services through ports, never the data directory,
 *    the device service or the composition root.
 *
 * Usage: `node tools/lint-deps.ts [srcDir]`; prints every violation and exits 1 when there is one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Folders (relative to src) whose code is the pure core. */
export const PURE_CORE = ['protocol', 'coldchain', 'rules', 'sim/model', 'random'] as const;
/** Modules outside the core that the core may import (relative to src). */
const CORE_MAY_IMPORT_FILES = new Set(['errors.ts']);
/** Packages the core may import: validation only. */
const CORE_PACKAGES = new Set(['zod']);
/** `node:crypto` exports the core may use: AEAD ciphers, HMAC, hashing, HKDF (RFC 5869) and ECDH. */
const CORE_CRYPTO = new Set([
  'createCipheriv',
  'createDecipheriv',
  'createHash',
  'createHmac',
  'createSecretKey',
  'hkdfSync',
  'timingSafeEqual',
  // ECDH P-256 for key rotation (docs/protocol.md §12): deterministic given both keys.
  'diffieHellman',
  'createPublicKey',
  'KeyObject',
  'CipherGCM',
  'DecipherGCM',
]);
/** Calls that read a clock, a random source or the process: arguments in the core, never globals. */
const CORE_FORBIDDEN_CALLS: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'Date.now()'],
  [/\bnew\s+Date\s*\(\s*\)/, 'new Date()'],
  [/\bMath\.random\s*\(/, 'Math.random()'],
  [/\bperformance\.now\s*\(/, 'performance.now()'],
  [/\b(?:setTimeout|setInterval|setImmediate)\s*\(/, 'a timer'],
  [/\bprocess\./, 'process'],
  [/\bcrypto\.(?:getRandomValues|randomUUID)\s*\(/, 'Web Crypto randomness'],
];

/** Which folders a folder may not import from at all (type-only imports included). */
const FORBIDDEN_FOLDERS: { from: string; to: string[]; why: string }[] = [
  {
    from: 'api',
    to: ['server', 'data-dir', 'devices', 'cli'],
    why: 'the API reaches services through the ports it is given (src/api/ports.ts)',
  },
];
/** The composition root's only importer. */
const ROOT_FOLDER = 'server';
const ROOT_IMPORTERS = new Set(['cli/commands/start.ts']);

export interface Violation {
  rule: 'cycle' | 'pure-core' | 'test-support' | 'layer';
  file: string;
  message: string;
}

export interface ImportRef {
  specifier: string;
  /** `import type` / `export type`: erased before run time. */
  typeOnly: boolean;
  /** Named bindings (`{ a, b as c }` gives `a`, `b`), empty for default and namespace imports. */
  names: string[];
  /** `import * as x` or a default import. */
  whole: boolean;
  line: number;
}

const CLAUSE = String.raw`(type\s+)?((?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*\s+as\s+[\w$]+|[\w$]+|\*))`;
const STATIC_RE = new RegExp(
  String.raw`^[ \t]*(?:import|export)\s+${CLAUSE}\s+from\s+(['"])([^'"\n]+)\3`,
  'gm',
);
const BARE_RE = /^[ \t]*import\s+(['"])([^'"\n]+)\1/gm;
const DYNAMIC_RE = /\bimport\(\s*(['"])([^'"\n]+)\1\s*\)/g;

function lineOf(src: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (src.charCodeAt(i) === 10) n++;
  return n;
}

/** The imports and re-exports of one module's source text. */
export function parseImports(src: string): ImportRef[] {
  const out: ImportRef[] = [];
  for (const m of src.matchAll(STATIC_RE)) {
    const clause = m[2] ?? '';
    const braces = /\{([^}]*)\}/.exec(clause);
    const names = braces
      ? (braces[1] ?? '')
          .split(',')
          .map(
            (s) =>
              s
                .trim()
                .replace(/^type\s+/, '')
                .split(/\s+as\s+/)[0] ?? '',
          )
          .filter(Boolean)
      : [];
    out.push({
      specifier: m[4] ?? '',
      typeOnly: m[1] !== undefined,
      names,
      whole: !braces || /^[\w$]+\s*,/.test(clause) || clause.startsWith('*'),
      line: lineOf(src, m.index),
    });
  }
  for (const re of [BARE_RE, DYNAMIC_RE]) {
    for (const m of src.matchAll(re)) {
      out.push({
        specifier: m[2] ?? '',
        typeOnly: false,
        names: [],
        whole: true,
        line: lineOf(src, m.index),
      });
    }
  }
  return out;
}

/** Source without comments (so that a comment saying "never Math.random()" is not a call). */
export function stripComments(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const isTestSupport = (rel: string) => /\.(test|fixture)\.ts$|-contract\.ts$/.test(rel);

function listFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) files.push(p);
    }
  };
  walk(root);
  return files;
}

const topFolder = (rel: string): string | null => {
  const parts = rel.split('/');
  return parts.length > 1 ? (parts[0] ?? null) : null;
};
/**
 * The layer of a file for the strict graph: its top-level folder, except that the storage adapters
 * (`storage/adapters`) are a layer of their own, outside the ports they implement.
 */
const layerOf = (rel: string): string | null =>
  rel.startsWith('storage/adapters/') ? 'storage/adapters' : topFolder(rel);
const inCore = (rel: string) => PURE_CORE.some((c) => rel.startsWith(`${c}/`));

/** Strongly connected components with more than one folder (Tarjan). */
export function folderCycles(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const nodes = new Set([...edges.keys(), ...[...edges.values()].flatMap((s) => [...s])]);
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of [...nodes].sort()) if (!idx.has(v)) strong(v);
  return out;
}

/** Checks every rule on the tree below `srcDir`; returns the violations and the folder cycles. */
export function lintDeps(srcDir: string): { violations: Violation[]; cycles: string[][] } {
  const root = resolve(srcDir);
  const violations: Violation[] = [];
  const runtime = new FolderGraph();
  const all = new FolderGraph();
  for (const file of listFiles(root)) {
    const rel = relative(root, file).split(sep).join('/');
    const src = readFileSync(file, 'utf8');
    const from = topFolder(rel);
    const testSupport = isTestSupport(rel);
    const core = inCore(rel) && !testSupport;
    if (core) {
      const code = stripComments(src);
      for (const [re, what] of CORE_FORBIDDEN_CALLS) {
        const m = re.exec(code);
        if (m) {
          violations.push({
            rule: 'pure-core',
            file: `${rel}:${lineOf(code, m.index)}`,
            message: `pure core uses ${what}; take it as an argument`,
          });
        }
      }
    }
    for (const imp of parseImports(src)) {
      const where = `${rel}:${imp.line}`;
      const relative_ = imp.specifier.startsWith('.');
      const target = relative_
        ? relative(root, resolve(dirname(file), imp.specifier))
            .split(sep)
            .join('/')
        : null;
      if (target !== null && !testSupport && isTestSupport(target)) {
        violations.push({ rule: 'test-support', file: where, message: `runtime code imports ${target}` });
      }
      if (core) {
        if (target !== null) {
          if (!inCore(target) && !CORE_MAY_IMPORT_FILES.has(target)) {
            violations.push({ rule: 'pure-core', file: where, message: `pure core imports ${target}` });
          }
        } else if (imp.specifier === 'node:crypto' || imp.specifier === 'crypto') {
          const bad = imp.whole ? ['* (the whole module)'] : imp.names.filter((n) => !CORE_CRYPTO.has(n));
          if (!imp.typeOnly && bad.length > 0) {
            violations.push({
              rule: 'pure-core',
              file: where,
              message: `pure core imports ${bad.join(', ')} from node:crypto (allowed: ${[...CORE_CRYPTO].join(', ')})`,
            });
          }
        } else if (!CORE_PACKAGES.has(imp.specifier)) {
          violations.push({ rule: 'pure-core', file: where, message: `pure core imports ${imp.specifier}` });
        }
      }
      if (target === null || testSupport) continue;
      const to = topFolder(target);
      if (from !== null && to !== null && from !== to) {
        for (const f of FORBIDDEN_FOLDERS) {
          if (f.from === from && f.to.includes(to)) {
            violations.push({ rule: 'layer', file: where, message: `${from} imports ${target}: ${f.why}` });
          }
        }
        if (to === 'cli') {
          violations.push({ rule: 'layer', file: where, message: `${target}: only the CLI imports the CLI` });
        }
        if (to === ROOT_FOLDER && !ROOT_IMPORTERS.has(rel)) {
          violations.push({
            rule: 'layer',
            file: where,
            message: `${target}: the composition root is imported only by ${[...ROOT_IMPORTERS].join(', ')}`,
          });
        }
        if (!imp.typeOnly) runtime.add(from, to, `${where} -> ${target}`);
      }
      const fromLayer = layerOf(rel);
      const toLayer = layerOf(target);
      if (fromLayer !== null && toLayer !== null && fromLayer !== toLayer) {
        all.add(fromLayer, toLayer, `${where} -> ${target}`);
      }
    }
  }
  const cycles = runtime.report(violations, 'folder-level import cycle (run-time imports)');
  all.report(violations, 'layer cycle (type-only imports included)');
  return { violations, cycles };
}

/** A graph of folders with one example import per edge, for the report. */
class FolderGraph {
  readonly edges = new Map<string, Set<string>>();
  readonly #example = new Map<string, string>();

  add(from: string, to: string, example: string): void {
    if (!this.edges.has(from)) this.edges.set(from, new Set());
    this.edges.get(from)?.add(to);
    if (!this.#example.has(`${from}>${to}`)) this.#example.set(`${from}>${to}`, example);
  }

  /** Adds a violation per cycle, naming an import of each edge in it; returns the cycles. */
  report(violations: Violation[], what: string): string[][] {
    const cycles = folderCycles(this.edges);
    for (const c of cycles) {
      const members = new Set(c);
      const why = [...this.#example]
        .filter(([k]) => {
          const [a, b] = k.split('>');
          return members.has(a ?? '') && members.has(b ?? '');
        })
        .map(([, v]) => `\n    ${v}`)
        .join('');
      violations.push({ rule: 'cycle', file: c.join(' <-> '), message: `${what}:${why}` });
    }
    return cycles;
  }
}

if (import.meta.main) {
  const dir = process.argv[2] ?? 'src';
  const { violations, cycles } = lintDeps(dir);
  for (const v of violations) console.error(`${v.rule}: ${v.file}: ${v.message}`);
  const inCycles = cycles.reduce((n, c) => n + c.length, 0);
  console.log(`lint:deps ${dir}: ${violations.length} violation(s); folders in cycles: ${inCycles}`);
  process.exitCode = violations.length > 0 ? 1 : 0;
}
