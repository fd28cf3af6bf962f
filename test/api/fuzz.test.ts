import { afterAll, beforeAll, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/api/errors.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { formatReport, fuzz } from '../fuzz/fuzz.ts';

// A fixed seed, so that every run of the suite makes the same 1,000 calls; `npm run test:fuzz`
// makes 10,000 from a random one.
const SEED = 30;
const CALLS = 1000;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

it(`${CALLS} calls generated from the introspected schema get clean answers (seed ${SEED})`, { timeout: 120_000 }, async () => {
  const report = await fuzz(h, { seed: SEED, calls: CALLS });
  expect(report.unclean, formatReport(report)).toEqual([]);
  // Every root field was called, and the answers were not all refusals of one kind.
  const { __schema } = await h.ok(`{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }`);
  const roots = ['queryType', 'mutationType', 'subscriptionType'].flatMap((t) => __schema[t].fields.length);
  expect(Object.keys(report.fields)).toHaveLength(roots.reduce((a: number, b: number) => a + b, 0));
  for (const code of ['OK', 'BAD_USER_INPUT', 'UNAUTHENTICATED', 'NOT_FOUND', 'FORBIDDEN'])
    expect(report.counts[code], formatReport(report)).toBeGreaterThan(0);
  for (const code of Object.keys(report.counts)) expect([...ERROR_CODES, 'OK']).toContain(code);
});
