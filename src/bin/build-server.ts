// `npm run build:server` (run before `npm start`, `npm run api`, `npm run worker`): bundles the entry
// points and our own modules into dist/server, so production runs plain JavaScript. Running through
// tsx kept its TypeScript transformer and the sources' compiled copies in every process, about
// 110 MiB of the API's idle RSS. Packages stay external, loaded from node_modules as usual.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { run } from '../core/lifecycle.ts';
import { packageRoot } from '../core/packageRoot.ts';

const ENTRY_POINTS = ['start', 'api', 'worker', 'migrate', 'reencrypt-secrets'];

run(async () => {
  const root = packageRoot(import.meta.dirname);
  const outdir = path.join(root, 'dist/server');
  // Chunk names carry a hash: an earlier build's chunks would otherwise pile up beside the new ones.
  await rm(outdir, { recursive: true, force: true });
  await build({
    entryPoints: ENTRY_POINTS.map((name) => path.join(root, 'src/bin', `${name}.ts`)),
    outdir,
    bundle: true,
    splitting: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
});
