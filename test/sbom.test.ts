/**
 * The CycloneDX SBOM (`npm run sbom`, tools/sbom.ts with @cyclonedx/cyclonedx-npm) lists every
 * production dependency that is installed, with its version and licence, and the licence check
 * passes them and would refuse a copyleft or unstated licence.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { licenceAllowed } from '../tools/licence-policy.ts';
import { componentKey, componentLicence, licenceProblems, makeSbom, type Sbom } from '../tools/sbom.ts';

const ROOT = join(import.meta.dirname, '..');

/** name@version of every production package npm installed (package-lock.json, not dev). */
function productionPackages(): Set<string> {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; dev?: boolean; name?: string }>;
  };
  const out = new Set<string>();
  for (const [path, p] of Object.entries(lock.packages)) {
    if (!path || p.dev || !existsSync(join(ROOT, path))) continue;
    out.add(`${path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${p.version}`);
  }
  return out;
}

describe('SBOM and licences', () => {
  it('lists every production dependency with its version and licence (CycloneDX)', {
    timeout: 300_000,
  }, () => {
    const sbom = makeSbom();
    assert.equal(sbom.bomFormat, 'CycloneDX');
    assert.match(sbom.specVersion, /^1\.\d+$/);
    assert.equal(sbom.metadata.component.name, 'vigil');
    const listed = new Map(sbom.components.map((c) => [componentKey(c), c]));
    const prod = productionPackages();
    assert.ok(prod.size > 50);
    for (const p of prod) {
      const c = listed.get(p);
      assert.ok(c, `${p} is in the SBOM`);
      assert.ok(componentLicence(c), `${p} has a licence in the SBOM`);
    }
    for (const dev of ['typescript', 'vite', '@biomejs/biome', 'playwright-core'])
      assert.ok(![...listed.keys()].some((k) => k.startsWith(`${dev}@`)), `${dev} (dev only) is not listed`);
    assert.deepEqual(licenceProblems(sbom), []);
  });

  it('the licence check refuses copyleft and unstated licences, and weak copyleft not reviewed', () => {
    const sbom = (components: Sbom['components']): Sbom => ({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      metadata: { component: { name: 'vigil', version: '0' } },
      components,
    });
    assert.deepEqual(
      licenceProblems(
        sbom([
          { name: 'ok', version: '1', licenses: [{ license: { id: 'MIT' } }] },
          { name: 'gpl', version: '1', licenses: [{ license: { id: 'GPL-3.0-only' } }] },
          { name: 'dual', version: '1', licenses: [{ expression: '(MIT OR GPL-2.0)' }] },
          { name: 'mixed', version: '1', licenses: [{ expression: 'MIT AND AGPL-3.0' }] },
          { name: 'none', version: '1' },
          // weak copyleft: only a package reviewed and listed, under the licence it was reviewed with
          { name: 'web-push', version: '3', licenses: [{ license: { id: 'MPL-2.0' } }] },
          { name: 'unreviewed', version: '1', licenses: [{ license: { id: 'MPL-2.0' } }] },
          { name: 'web-push', version: '9', licenses: [{ license: { id: 'LGPL-3.0-only' } }] },
        ]),
      ),
      [
        'gpl@1: GPL-3.0-only is not compatible with Apache-2.0 for a dependency',
        'mixed@1: MIT AND AGPL-3.0 is not compatible with Apache-2.0 for a dependency',
        'none@1: no licence stated',
        'unreviewed@1: MPL-2.0 is not compatible with Apache-2.0 for a dependency',
        'web-push@9: LGPL-3.0-only is not compatible with Apache-2.0 for a dependency',
      ],
    );
    assert.equal(licenceAllowed('Apache-2.0'), true);
    assert.equal(licenceAllowed('LGPL-2.1'), false);
  });
});
