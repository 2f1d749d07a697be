import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('../web/', import.meta.url));
const DIST = join(WEB, 'dist');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('dashboard build', () => {
  // `npm test` builds web/dist first (pretest); a bare `node --test` run without it skips.
  it('has an index.html with no inline script or style (CSP script-src/style-src self)', (t) => {
    if (!existsSync(join(DIST, 'index.html'))) return t.skip('web/dist not built: run npm run build:web');
    const html = readFileSync(join(DIST, 'index.html'), 'utf8');
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      assert.match(m[1] ?? '', /\bsrc="\/assets\//, 'every script is an external file');
      assert.equal((m[2] ?? '').trim(), '', 'no inline script body');
    }
    assert.doesNotMatch(html, /<style\b/);
    assert.doesNotMatch(html, /\sstyle=/);
    assert.doesNotMatch(html, /https?:\/\//, 'no third-party (CDN) references');
  });

  it('bundles the offline basemap with the assets', (t) => {
    if (!existsSync(join(DIST, 'assets'))) return t.skip('web/dist not built: run npm run build:web');
    assert.ok(readdirSync(join(DIST, 'assets')).some((f) => /^countries-50m-.*\.json$/.test(f)));
  });

  it('never writes HTML strings or style attributes from page code', () => {
    for (const file of sources(join(WEB, 'src'))) {
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write/, file);
      assert.doesNotMatch(text, /setAttribute\(\s*['"]style['"]/, file);
    }
  });

  it('reads the API contract as types only: every import of src/api is `import type` of contract.ts', () => {
    let contractImports = 0;
    for (const file of sources(join(WEB, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(import|export)\s+([^;]*?)\s+from\s+'([^']+)'/gms)) {
        const spec = m[3] ?? '';
        // The pure core (src/rules: NEWS2) is shared as code; the API only as types.
        if (!/(^|\/)src\/api\//.test(spec)) continue;
        contractImports++;
        assert.match(m[2] ?? '', /^type\b/, `${file}: ${m[0]}`);
        assert.match(spec, /src\/api\/contract\.ts$/, `${file} imports the contract module only`);
      }
    }
    assert.ok(contractImports > 0, 'the dashboard takes its API types from src/api/contract.ts');
  });

  it('keeps zod and server code out of the bundle', (t) => {
    if (!existsSync(join(DIST, 'assets'))) return t.skip('web/dist not built: run npm run build:web');
    for (const f of readdirSync(join(DIST, 'assets')).filter((x) => x.endsWith('.js'))) {
      const text = readFileSync(join(DIST, 'assets', f), 'utf8');
      assert.doesNotMatch(text, /ZodError|\$ZodType|zod\.dev/, `${f} carries zod`);
    }
  });
});
