import pc from 'picocolors';

/** Where a command writes: JSON for scripts (`--json`), tables and records for people. */
export interface Output {
  json: boolean;
  /** The command's result on stdout: `value` as JSON, or `human()` for people. */
  result(value: unknown, human: () => string): void;
  /** A line on stdout (one per item in a stream, e.g. `tail`). */
  line(text: string): void;
  /** Notes for people on stderr (never mixed into stdout, so `--json` output stays parseable). */
  note(text: string): void;
}

export function createOutput(json: boolean, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Output {
  return {
    json,
    result: (value, human) => stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`),
    line: (text) => stdout.write(`${text}\n`),
    note: (text) => stderr.write(`${text}\n`),
  };
}

export type Cell = string | number | boolean | null | undefined;

export function cell(value: Cell): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

// Colour codes take no room on screen: pad by the visible text.
const visibleLength = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;

/** Columns padded to their widest cell, with a dimmed header; "(none)" for no rows. */
export function table(headers: string[], rows: Cell[][]): string {
  if (rows.length === 0) return pc.dim('(none)');
  const cells = rows.map((r) => r.map(cell));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => visibleLength(r[i] ?? ''))));
  const render = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i] - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return [pc.dim(render(headers)), ...cells.map(render)].join('\n');
}

/** `label  value` lines, labels aligned. */
export function record(fields: [string, Cell][]): string {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${pc.dim(label.padEnd(width))}  ${cell(value)}`).join('\n');
}

export function status(value: string): string {
  if (value === 'SUCCEEDED') return pc.green(value);
  if (value === 'FAILED') return pc.red(value);
  if (value === 'RETRYING') return pc.yellow(value);
  return value;
}

export function active(value: boolean): string {
  return value ? pc.green('yes') : pc.red('no');
}

/** A secret or key shown once: set apart so it is not missed. */
export function shownOnce(label: string, value: string): string {
  return `\n${pc.bold(label)} (shown only now; store it):\n\n  ${pc.bold(pc.yellow(value))}\n`;
}

export { pc };
