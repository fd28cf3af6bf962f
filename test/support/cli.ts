import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The package's bin, run as `npx hookpost` runs it: plain Node on the shim. */
export const HOOKPOST_BIN = path.join(ROOT, 'src/cli/hookpost.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess extends ChildProcess {
  stdoutText(): string;
  stderrText(): string;
  done: Promise<CliResult>;
}

/** Starts `hookpost ARGS` with only the environment given (plus PATH), colours off. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): CliProcess {
  const child = spawn(process.execPath, [HOOKPOST_BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const done = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return Object.assign(child, { stdoutText: () => stdout, stderrText: () => stderr, done });
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return spawnCli(args, env).done;
}

/** Runs a command that must succeed with --json and returns its parsed output. */
export async function cliJson<T = any>(args: string[], env: Record<string, string | undefined> = {}): Promise<T> {
  const res = await runCli([...args, '--json'], env);
  if (res.code !== 0) throw new Error(`hookpost ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}
