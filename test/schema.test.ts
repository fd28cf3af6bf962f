import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { printHookpostSchema } from '../src/api/graphql/schema.ts';

it('schema.graphql is the printed schema (run `npm run schema:print` after changing it)', async () => {
  const checkedIn = await readFile(path.resolve(import.meta.dirname, '../schema.graphql'), 'utf8');
  expect(checkedIn).toBe(printHookpostSchema());
});
