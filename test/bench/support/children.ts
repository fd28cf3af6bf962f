import { type ChildProcess, fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { exited } from '../../support/processes.ts';

const CHILDREN_DIR = path.resolve(import.meta.dirname, '../children');

/** Every process the bench started, so an interrupted run can still stop them (each by its own pid). */
const running = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/**
 * Starts one of the bench's own helper processes (test/bench/children/<name>.ts) as a plain Node
 * process with an IPC channel; `args` arrive as its argv.
 */
export function forkChild(name: string, args: string[] = []): ChildProcess {
  const child = fork(path.join(CHILDREN_DIR, `${name}.ts`), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Structured clone keeps Infinity (a message never received) that JSON would turn into null.
    serialization: 'advanced',
  });
  return track(child);
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((c) => stopChild(c, 3000)));
}

/** The first message from `child` that `accept` takes, or a rejection when the child exits first. */
export function nextMessage<T>(child: ChildProcess, accept: (msg: any) => T | undefined, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: unknown) => {
      const value = accept(msg);
      if (value === undefined) return;
      cleanup();
      resolve(value);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child process exited (code ${code}) before answering`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no answer from child process in ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

let requestSeq = 0;
/** Sends `{ id, ...msg }` and resolves with the child's `{ id, reply }`. */
export function ipcRequest<T>(child: ChildProcess, msg: Record<string, unknown>, timeoutMs = 60_000): Promise<T> {
  const id = ++requestSeq;
  const answer = nextMessage(child, (m) => (m && m.id === id ? (m.reply as T) : undefined), timeoutMs);
  child.send({ id, ...msg });
  return answer;
}

/** Resident memory of a process in MB of 10^6 bytes (VmRSS of /proc/<pid>/status, which counts KiB), or undefined once it is gone. */
export async function rssMB(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return kb ? (Number(kb[1]) * 1024) / 1e6 : undefined;
  } catch {
    return undefined;
  }
}
