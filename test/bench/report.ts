import { cpus, loadavg, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Options } from './options.ts';
import type { PhaseResult } from './phases/phase.ts';
import { type Figure, passes } from './support/figures.ts';
import { rssPeaks } from './support/stack.ts';

export interface PhaseOutcome extends Partial<PhaseResult> {
  name: string;
  title: string;
  seconds: number;
  error?: string;
}

function withUnit(value: number, unit: string): string {
  if (Number.isNaN(value)) return 'n/a';
  if (value === Infinity) return '∞';
  const text = Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
  return unit === '' ? text : ['%', '×', '/s'].includes(unit) ? `${text}${unit}` : `${text} ${unit}`;
}

function row(f: Figure): string[] {
  const verdict = passes(f);
  return [
    f.label,
    f.target ? `${f.target.op} ${withUnit(f.target.value, f.unit)}` : '',
    withUnit(f.value, f.unit) + (f.note ? ` (${f.note})` : ''),
    verdict === undefined ? '' : verdict ? 'pass' : 'MISS',
  ];
}

export function renderTable(outcomes: PhaseOutcome[]): string {
  const rows: string[][] = [['figure', 'target', 'measured', 'result']];
  for (const o of outcomes) {
    rows.push([`— ${o.title} (${Math.round(o.seconds)} s)`, '', '', '']);
    if (o.error) rows.push([`  phase failed: ${o.error.split('\n')[0]}`, '', '', 'MISS']);
    for (const f of o.figures ?? []) rows.push(row(f).map((c, i) => (i === 0 ? `  ${c}` : c)));
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}

export function missed(outcomes: PhaseOutcome[]): string[] {
  return outcomes.flatMap((o) => [...(o.error ? [`${o.title}: failed`] : []), ...(o.figures ?? []).filter((f) => passes(f) === false).map((f) => f.label)]);
}

/** Infinity ("never arrived") and NaN ("not measured") have no JSON form: both become null. */
const jsonSafe = (_key: string, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value);

export async function writeReport(options: Options, outcomes: PhaseOutcome[], startedAt: Date): Promise<void> {
  const cpu = cpus();
  const report = {
    startedAt: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    quick: options.quick,
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model,
      memoryMiB: Math.round(totalmem() / 2 ** 20),
      node: process.version,
      loadAverageAtEnd: loadavg(),
    },
    settings: options.settings,
    passed: missed(outcomes).length === 0,
    missed: missed(outcomes),
    figures: Object.fromEntries(outcomes.flatMap((o) => o.figures ?? []).map((f) => [f.key, { ...f, pass: passes(f) }])),
    phases: outcomes,
    rssPeaks,
  };
  await mkdir(path.dirname(options.out), { recursive: true });
  await writeFile(options.out, `${JSON.stringify(report, jsonSafe, 2)}\n`);
}
