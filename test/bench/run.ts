// `npm run bench`: issue 8's figures measured from outside, as a user would see them. The API and
// workers run as separate processes as in production, each phase on a fresh database and Redis
// prefix; events go in through the GraphQL API over HTTP and come out at a plain node:http receiver
// on loopback. Prints progress, then a table of every figure against the target; writes the
// figures as JSON; exits 1 when any target is missed. `--help` for the flags.
import { cpus } from 'node:os';
import { missed, type PhaseOutcome, renderTable, writeReport } from './report.ts';
import { parseOptions } from './options.ts';
import { PHASES } from './phases/index.ts';
import type { PhaseContext, PhaseResult } from './phases/phase.ts';
import { stopAllChildren } from './support/children.ts';
import { dropAllDatabases } from './support/databases.ts';
import { progressFor } from './support/log.ts';
import { startReceiver } from './support/receiver.ts';
import { stopAllStacks } from './support/stack.ts';

const options = parseOptions(process.argv.slice(2));
const errorText = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));
const startedAt = new Date();
const log = progressFor('bench');

async function cleanUpAndExit(code: number): Promise<never> {
  await stopAllStacks();
  await stopAllChildren();
  await dropAllDatabases();
  process.exit(code);
}
process.once('SIGINT', () => void cleanUpAndExit(130));
process.once('SIGTERM', () => void cleanUpAndExit(143));

log(`phases: ${options.phases.join(', ')}${options.quick ? ' (quick: figures are indicative only)' : ''}; ${cpus().length} cores`);
const receiver = await startReceiver();
const outcomes: PhaseOutcome[] = [];
const pending: { outcome: PhaseOutcome; later: NonNullable<PhaseResult['later']> }[] = [];

for (const name of options.phases) {
  const phase = PHASES[name];
  const progress = progressFor(name);
  const ctx: PhaseContext = {
    options,
    receiver,
    progress,
    stackOptions: (label, extra = {}) => ({ label, receiver, logDir: options.logDir, progress, ...options.settings.stack, ...extra }),
  };
  const started = Date.now();
  progress(`— ${phase.title}`);
  try {
    const { later, ...result } = await phase.run(ctx);
    const outcome: PhaseOutcome = { name, title: phase.title, seconds: (Date.now() - started) / 1000, ...result };
    outcomes.push(outcome);
    if (later) pending.push({ outcome, later });
  } catch (err) {
    progress(`failed: ${errorText(err)}`);
    outcomes.push({ name, title: phase.title, seconds: (Date.now() - started) / 1000, error: errorText(err) });
  }
}

for (const { outcome, later } of pending) {
  try {
    const more = await later;
    outcome.figures = [...(outcome.figures ?? []), ...more.figures];
    outcome.details = { ...outcome.details, ...more.details };
  } catch (err) {
    progressFor(outcome.name)(`failed: ${errorText(err)}`);
    outcome.error = errorText(err);
  }
}

await receiver.stop();
await writeReport(options, outcomes, startedAt);
process.stdout.write(`\n${renderTable(outcomes)}\n\n`);
log(`figures written to ${options.out}; took ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s`);
const misses = missed(outcomes);
if (misses.length) process.stdout.write(`missed ${misses.length} target(s): ${misses.join('; ')}\n`);
await cleanUpAndExit(misses.length ? 1 : 0);
