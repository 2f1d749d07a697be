/**
 * `npm run sbom`: the CycloneDX SBOM of Vigil's production dependencies (`sbom.cdx.json`, CycloneDX
 * 1.6 JSON, made by @cyclonedx/cyclonedx-npm), each component with its version and licence, then
 * the licence check: every production dependency must carry a licence an Apache-2.0 work may
 * depend on, or be a reviewed weak-copyleft package (tools/licence-policy.ts). Exit 1 when one
 * does not.
 *
 *   node tools/sbom.ts [--out FILE]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LICENCE_OVERRIDES, licenceAllowed, REVIEWED_WEAK_COPYLEFT } from './licence-policy.ts';

const ROOT = join(import.meta.dirname, '..');

export interface SbomComponent {
  name: string;
  group?: string;
  version: string;
  purl?: string;
  licenses?: ({ license: { id?: string; name?: string } } | { expression: string })[];
  evidence?: { licenses?: { license: { name?: string; text?: { content: string; encoding?: string } } }[] };
}

export interface Sbom {
  bomFormat: 'CycloneDX';
  specVersion: string;
  metadata: { component: { name: string; version: string } };
  components: SbomComponent[];
}

export const componentKey = (c: Pick<SbomComponent, 'name' | 'group' | 'version'>) =>
  `${c.group ? `${c.group}/` : ''}${c.name}@${c.version}`;

/** The SPDX id or expression of a component, or null. */
export function componentLicence(c: SbomComponent): string | null {
  const l = c.licenses?.[0];
  if (!l) return null;
  if ('expression' in l) return l.expression;
  return l.license.id ?? l.license.name ?? null;
}

/**
 * Fills in the licence of the known packages that state none (or only `SEE LICENSE IN FILE`, npm's
 * form for a licence without an SPDX id), after checking their LICENSE text.
 */
function applyOverrides(sbom: Sbom): void {
  for (const c of sbom.components) {
    const o = LICENCE_OVERRIDES[componentKey(c)];
    const stated = componentLicence(c);
    if (!o || (stated && !/^SEE LICEN[CS]E IN /i.test(stated))) continue;
    const text = c.evidence?.licenses?.map((e) =>
      Buffer.from(e.license.text?.content ?? '', 'base64').toString('utf8'),
    );
    if (!text?.some((t) => t.trimStart().startsWith(o.fileStartsWith)))
      throw new Error(`${componentKey(c)}: its LICENSE file no longer starts with "${o.fileStartsWith}"`);
    c.licenses = [{ license: { id: o.licence } }];
  }
}

/** Production dependencies whose licence is missing or not allowed, as messages. */
export function licenceProblems(sbom: Sbom): string[] {
  const problems: string[] = [];
  for (const c of sbom.components) {
    const l = componentLicence(c);
    if (!l) problems.push(`${componentKey(c)}: no licence stated`);
    else if (!licenceAllowed(l) && REVIEWED_WEAK_COPYLEFT[`${c.group ? `${c.group}/` : ''}${c.name}`] !== l)
      problems.push(`${componentKey(c)}: ${l} is not compatible with Apache-2.0 for a dependency`);
  }
  return problems;
}

/** Runs cyclonedx-npm on the production tree and returns the checked SBOM. */
export function makeSbom(): Sbom {
  const bin = join(ROOT, 'node_modules', '.bin', 'cyclonedx-npm');
  const out = execFileSync(
    bin,
    [
      '--omit',
      'dev',
      '--flatten-components',
      '--output-reproducible',
      '--gather-license-texts',
      '--output-format',
      'JSON',
      '--output-file',
      '-',
    ],
    { cwd: ROOT, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const sbom = JSON.parse(out) as Sbom;
  applyOverrides(sbom);
  return sbom;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: join(ROOT, 'sbom.cdx.json') } },
  });
  const sbom = makeSbom();
  writeFileSync(values.out, `${JSON.stringify(sbom, null, 2)}\n`);
  console.log(
    `${values.out}: CycloneDX ${sbom.specVersion}, ${sbom.components.length} production components`,
  );
  const problems = licenceProblems(sbom);
  for (const p of problems) console.error(`licence: ${p}`);
  if (problems.length > 0) process.exit(1);
  console.log('licences: every production dependency is compatible with Apache-2.0');
}
