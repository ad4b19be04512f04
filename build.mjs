// build.mjs: bundles the server into dist/tskv.js with esbuild (node 20, ESM, sourcemaps).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/tskv.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  packages: 'external',
  banner: { js: "import { createRequire as __tskvCreateRequire } from 'node:module'; const require = __tskvCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
