import path from 'node:path';
import { parseArgs } from 'node:util';

export const PHASE_NAMES = ['raw', 'floor', 'throughput', 'latency', 'fanout', 'isolation', 'streams', 'scaleout', 'memory', 'size'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** Sizes and durations of every phase: the in a full run, short ones with --quick. */
export function settingsFor(quick: boolean) {
  const s = (full: number, short: number) => (quick ? short : full);
  return {
    /** Events each stack is warmed up with before it is used (support/stack.ts). */
    stack: { warmUpEvents: s(2000, 100) },
    raw: { durationMs: s(10_000, 1500) },
    /** Deliveries measured, after a warm-up of a fifth as many (support/durableFloor.ts). */
    floor: { deliveries: s(20_000, 2000) },
    throughput: {
      bulkEvents: s(20_000, 3000),
      batchSize: 500,
      bulkClients: 4,
      singleEvents: s(10_000, 2000),
      singleClients: 64,
      /** A run that has not delivered everything by then is measured over this long. */
      capMs: s(60_000, 15_000),
    },
    /**
     * coldStartMs: offered first, on a stack not warmed up, and judged on its own; leadInMs: then at
     * the same rate just before the measured run, not counted (see support/latency.ts).
     */
    latency: { rate: 500, durationMs: s(30_000, 3000), drainMs: s(30_000, 10_000), coldStartMs: s(5000, 1000), leadInMs: s(5000, 1000) },
    fanout: { endpoints: s(1000, 300), rounds: s(3, 1), capMs: s(30_000, 15_000) },
    /** leadInMs: before each of the two measured runs alike, so that neither is judged cold. */
    isolation: { rate: 30, durationMs: s(20_000, 4000), drainMs: s(20_000, 10_000), leadInMs: s(5000, 1000), hangTimeoutSeconds: 5 },
    /** warmUpMs: streamed at the rate before measuring, not counted (phases/streams.ts). */
    streams: { subscribers: 200, rate: 50, durationMs: s(20_000, 3000), drainMs: s(30_000, 10_000), warmUpMs: s(3000, 1000) },
    /** idleMs: after start, before the idle RSS is read. */
    memory: { rate: 500, durationMs: s(300_000, 10_000), windowMs: s(60_000, 2000), idleMs: s(3000, 1000) },
    scaleout: { events: s(10_000, 3000), capMs: s(60_000, 15_000) },
    size: { events: s(1_000_000, 20_000), latencyDurationMs: s(10_000, 2000), readRuns: 21 },
  };
}
export type Settings = ReturnType<typeof settingsFor>;

export interface Options {
  phases: PhaseName[];
  quick: boolean;
  out: string;
  logDir: string;
  settings: Settings;
}

const USAGE = `npm run bench -- [--quick] [--out file.json] [--only a,b] [--skip a,b] [--<phase> ...]
phases (all by default, in this order): ${PHASE_NAMES.join(', ')}
  --quick   short durations and small sizes, for development (figures are indicative only)
  --out     where to write the figures as JSON (default test/bench/results/latest.json)`;

export function parseOptions(argv: string[]): Options {
  const phaseFlags = Object.fromEntries(PHASE_NAMES.map((p) => [p, { type: 'boolean' as const }]));
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      out: { type: 'string' },
      only: { type: 'string' },
      skip: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...phaseFlags,
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const list = (v: unknown) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : [];
  const named = [...list(values.only), ...PHASE_NAMES.filter((p) => (values as Record<string, unknown>)[p])];
  const skipped = list(values.skip);
  for (const name of [...named, ...skipped]) {
    if (!PHASE_NAMES.includes(name as PhaseName)) throw new Error(`unknown phase "${name}"\n${USAGE}`);
  }
  const phases = PHASE_NAMES.filter((p) => (named.length === 0 || named.includes(p)) && !skipped.includes(p));
  const resultsDir = path.resolve(import.meta.dirname, 'results');
  const quick = Boolean(values.quick);
  return {
    phases,
    quick,
    out: path.resolve(values.out ?? path.join(resultsDir, 'latest.json')),
    logDir: path.join(resultsDir, 'logs'),
    settings: settingsFor(quick),
  };
}
