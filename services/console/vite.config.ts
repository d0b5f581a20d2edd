import { defineConfig } from 'vite';

/**
 * Builds the console into dist/ (served by the API at /, routes/console.ts). JSX is Preact's automatic runtime;
 * no plugin is needed for a production build. Everything is bundled: nothing is fetched from a CDN at run time.
 */
export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The CSP (default-src 'self') forbids inline scripts and data: fonts/images: keep assets as files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
});
