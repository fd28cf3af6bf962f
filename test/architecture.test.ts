// The three rooms: src/core is shared, src/api and worker/ build on it and never on each other;
// only the entry points in src/bin may join them.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

type Room = 'core' | 'api' | 'worker' | 'bin' | 'verify' | 'generated' | 'cli' | 'outside';

function roomOf(file: string): Room {
  const rel = path.relative(ROOT, file).split(path.sep);
  if (rel[0] === 'worker') return 'worker';
  if (rel[0] !== 'src') return 'outside';
  if (['core', 'api', 'bin', 'verify', 'generated', 'cli'].includes(rel[1])) return rel[1] as Room;
  return 'outside';
}

/** Which rooms each room may import from (besides packages and itself). */
const ALLOWED: Record<Room, Room[]> = {
  generated: [],
  core: ['generated'],
  api: ['core', 'generated'],
  worker: ['core', 'generated'],
  bin: ['core', 'api', 'worker', 'generated'],
  // The receiver helper ships alone: only the pure signing code of the core comes along.
  verify: ['core'],
  // The CLI is a GraphQL client: it talks to the API over HTTP, never through its modules.
  cli: [],
  outside: [],
};

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => roomOf(f) !== 'generated');
}

/** Relative module specifiers of static imports, re-exports and dynamic imports. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (let m = re.exec(source); m; m = re.exec(source)) found.push(m[1]);
  return found;
}

describe('import rule', () => {
  it('finds static, side-effect, re-export and dynamic imports', () => {
    const src = `import a from './a.ts';\nimport './b.ts';\nexport { c } from '../c.ts';\nconst d = await import('./d.ts');\nimport x from 'pkg';`;
    expect(importsOf(src)).toEqual(['./a.ts', './b.ts', '../c.ts', './d.ts']);
  });

  it('holds for every file of src/ and worker/', async () => {
    const files = [...(await sourceFiles(path.join(ROOT, 'src'))), ...(await sourceFiles(path.join(ROOT, 'worker')))];
    expect(files.length).toBeGreaterThan(30);
    const violations: string[] = [];
    for (const file of files) {
      const from = roomOf(file);
      for (const spec of importsOf(await readFile(file, 'utf8'))) {
        const to = roomOf(path.resolve(path.dirname(file), spec));
        if (to !== from && !ALLOWED[from].includes(to)) {
          violations.push(`${path.relative(ROOT, file)} (${from}) imports ${spec} (${to})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps src/ to the rooms and nothing else', async () => {
    const stray = (await sourceFiles(path.join(ROOT, 'src'))).filter((f) => roomOf(f) === 'outside');
    expect(stray.map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});
