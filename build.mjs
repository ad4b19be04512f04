// build.mjs: bundles the server into dist/tskv.js, its memtable flush thread into
// dist/flush-worker.js (storage/flush-worker-client.ts starts it from beside the bundle), and the
// Docker HEALTHCHECK into dist/healthcheck.js, with esbuild (node 20, ESM, sourcemaps).
import { build } from 'esbuild';

await build({
  entryPoints: { tskv: 'src/main.ts', 'flush-worker': 'storage/flush-worker.ts', healthcheck: 'src/ops/healthcheck-main.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  packages: 'external',
  banner: { js: "import { createRequire as __tskvCreateRequire } from 'node:module'; const require = __tskvCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
