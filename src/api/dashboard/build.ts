import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { DASHBOARD_BUILD_DIR } from './serve.ts';

const SOURCE = import.meta.dirname;

/**
 * Bundles the dashboard into `outDir`: the page, one script (graphql-ws included, nothing fetched
 * from elsewhere) and one stylesheet. Takes well under a second.
 */
export async function buildDashboard(outDir = DASHBOARD_BUILD_DIR): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const common = { bundle: true, minify: true, logLevel: 'warning', legalComments: 'none' } as const;
  await build({
    ...common,
    entryPoints: [path.join(SOURCE, 'client/main.ts')],
    outfile: path.join(outDir, 'app.js'),
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    tsconfig: path.join(SOURCE, 'client/tsconfig.json'),
  });
  await build({ ...common, entryPoints: [path.join(SOURCE, 'styles.css')], outfile: path.join(outDir, 'app.css') });
  await copyFile(path.join(SOURCE, 'index.html'), path.join(outDir, 'index.html'));
  return ['index.html', 'app.js', 'app.css'].map((f) => path.join(outDir, f));
}
