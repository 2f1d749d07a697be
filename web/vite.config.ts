import { defineConfig } from 'vite';

/**
 * The dashboard build: `vite build web` writes web/dist (index.html + hashed assets/). Everything
 * is bundled (charts, map outlines), so the page needs no network beyond its own origin, and the
 * output has no inline script or style so it runs under the server's CSP (`script-src 'self';
 * style-src 'self'`).
 */
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No data: URLs for assets: the CSP allows data: for images only, keep everything a file.
    assetsInlineLimit: 0,
    // The polyfill would be injected as extra code; every supported browser has modulepreload.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
