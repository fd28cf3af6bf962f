// The schema fuzzer: introspects the running API, generates `calls` operations from one seed (every
// root field, every kind of viewer) and judges every answer. The same seed generates the same calls.
import fc from 'fast-check';
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import type { Harness } from '../support/harness.ts';
import { type Answer, judge, send } from './answers.ts';
import { type Operation, operationsOf } from './operations.ts';
import { buildWorld } from './world.ts';

export interface FuzzOptions {
  seed: number;
  calls: number;
  /** Calls in flight at once. */
  concurrency?: number;
}

export interface Unclean {
  index: number;
  viewer: string;
  operation: Operation;
  why: string;
  answer?: Answer;
}

export interface FuzzReport {
  seed: number;
  calls: number;
  /** Calls per error code (a call with errors of two codes counts for both); `OK`: no errors. */
  counts: Record<string, number>;
  /** Calls per root field, so that a report shows every field was reached. */
  fields: Record<string, number>;
  unclean: Unclean[];
}

export async function fuzz(h: Harness, opts: FuzzOptions): Promise<FuzzReport> {
  const world = await buildWorld(h);
  const introspection = await h.ok<IntrospectionQuery>(getIntrospectionQuery());
  const schema = buildClientSchema(introspection);
  // Valid credentials more often than wrong ones, whose answers are all alike.
  const viewer = fc.oneof(...world.viewers.map((v) => ({ weight: v.valid ? 4 : 1, arbitrary: fc.constant(v) })));
  const viewerAndOperation = fc.tuple(viewer, operationsOf(schema, { realIds: world.realIds, wrongTypeRate: 0.03 }));
  const calls = fc.sample(viewerAndOperation, { seed: opts.seed, numRuns: opts.calls });

  const report: FuzzReport = { seed: opts.seed, calls: calls.length, counts: {}, fields: {}, unclean: [] };
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < calls.length; index = next++) {
      const [viewer, operation] = calls[index];
      report.fields[operation.field] = (report.fields[operation.field] ?? 0) + 1;
      let answer: Answer | undefined;
      let why: string | undefined;
      try {
        answer = await send(h.url, operation, viewer);
        const verdict = judge(answer);
        for (const code of verdict.codes) report.counts[code] = (report.counts[code] ?? 0) + 1;
        why = verdict.unclean;
      } catch (err) {
        why = `no answer: ${(err as Error).message}`;
      }
      if (why) report.unclean.push({ index, viewer: viewer.name, operation, why, answer });
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, worker));
  report.unclean.sort((a, b) => a.index - b.index);
  return report;
}

/** Long strings as their length, so that a failing call can be read. */
function abbreviated(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'string' && v.length > 80 ? `<${v.length} chars: ${JSON.stringify(v.slice(0, 20))}…>` : v)).slice(
    0,
    2000,
  );
}

export function formatReport(report: FuzzReport): string {
  const lines = [`seed ${report.seed}: ${report.calls} calls, ${report.unclean.length} unclean`];
  for (const [code, n] of Object.entries(report.counts).sort((a, b) => b[1] - a[1])) lines.push(`  ${code.padEnd(28)} ${n}`);
  for (const u of report.unclean.slice(0, 10)) {
    lines.push(
      '',
      `call ${u.index} as ${u.viewer}: ${u.why}`,
      `  ${u.operation.query}`,
      `  variables: ${abbreviated(u.operation.variables)}`,
      ...(u.answer ? [`  answer (HTTP ${u.answer.status}): ${abbreviated(u.answer.results)}`] : []),
    );
  }
  if (report.unclean.length) lines.push('', `replay: npm run test:fuzz -- --seed ${report.seed} --calls ${report.calls}`);
  return lines.join('\n');
}
