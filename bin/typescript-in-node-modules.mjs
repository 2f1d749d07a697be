// Vigil runs its TypeScript sources directly (erasable syntax only). Node strips types itself,
// except under node_modules, which is where an installed package (`npm install vigil-x.tgz`)
// lives: there this hook strips them with Node's own `module.stripTypeScriptTypes`.
import { readFileSync } from 'node:fs';
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import { fileURLToPath } from 'node:url';

const OWN_SOURCES = fileURLToPath(new URL('../src/', import.meta.url));

if (OWN_SOURCES.includes('/node_modules/')) {
  // stripTypeScriptTypes is marked experimental in Node 24; its one warning would only confuse.
  const emitWarning = process.emitWarning;
  process.emitWarning = (warning, ...rest) => {
    if (!String(warning?.message ?? warning).includes('stripTypeScriptTypes'))
      emitWarning.call(process, warning, ...rest);
  };
  registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith('file:') && url.endsWith('.ts') && fileURLToPath(url).startsWith(OWN_SOURCES)) {
        const source = stripTypeScriptTypes(readFileSync(fileURLToPath(url), 'utf8'), { mode: 'strip' });
        return { format: 'module', source, shortCircuit: true };
      }
      return nextLoad(url, context);
    },
  });
}
