import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/api/errors.ts';

it('docs/errors.md documents exactly the codes the API may answer with', async () => {
  const doc = await readFile(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^## ([A-Z_]+)$/gm)].map((m) => m[1]);
  expect(documented.sort()).toEqual([...ERROR_CODES].sort());
  for (const code of ERROR_CODES) {
    const section = doc.split(`## ${code}\n`)[1].split('\n## ')[0];
    expect(section, code).toMatch(/\*\*When:\*\*/);
    expect(section, code).toMatch(/\*\*What to do:\*\*/);
  }
});
