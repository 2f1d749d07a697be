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
});
