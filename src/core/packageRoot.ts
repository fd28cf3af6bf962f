import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The directory holding Hookpost's package.json, found by walking up from `from`. Run from source
 * (tsx) or from the bundle in dist/server, the modules sit at different depths, so paths to
 * prisma/migrations or dist/dashboard are taken from the package root, not counted in `..`s.
 */
export function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'prisma'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no Hookpost package.json above ${from}`);
  }
}
