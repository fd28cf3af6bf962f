// `npm run test:fuzz [-- --seed N] [--calls N] [--concurrency N]`: the schema fuzzer against a
// fresh API on a fresh test database, longer than the suite's run and from a random seed unless one
// is given. Prints the counts by error code, and on a failure the seed that replays it.
import { parseArgs } from 'node:util';
import setup from '../support/globalSetup.ts';
import { startHarness } from '../support/harness.ts';
import { formatReport, fuzz } from './fuzz.ts';

const { values } = parseArgs({
  options: { seed: { type: 'string' }, calls: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '4' } },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const calls = Number(values.calls);

console.log(`fuzzing ${calls} calls with seed ${seed}`);
const teardown = await setup();
const h = await startHarness();
const started = Date.now();
let failed = true;
try {
  const report = await fuzz(h, { seed, calls, concurrency: Number(values.concurrency) });
  console.log(formatReport(report));
  console.log(`\n${Object.keys(report.fields).length} root fields called, in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  failed = report.unclean.length > 0;
} finally {
  await h.close();
  await teardown();
}
process.exit(failed ? 1 : 0);
