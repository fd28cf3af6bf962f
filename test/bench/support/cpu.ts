import { figure, type Figure } from './figures.ts';
import { readdir, readFile } from 'node:fs/promises';

/** Linux's USER_HZ: /proc reports CPU times in these ticks (100 on every distribution we run on). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far; 0 for one that is gone. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces, sit after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

async function pidsNamed(command: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === command) pids.push(Number(entry));
  }
  return pids;
}

export type CpuComponent = 'api' | 'worker' | 'postgres' | 'redis' | 'receiver';
export type CpuTimes = Record<CpuComponent, number>;

const sum = async (pids: number[]) => (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0);

/** CPU seconds used so far by every Postgres process (the server forks a backend per connection). */
export const postgresSeconds = (): Promise<number> => pidsNamed('postgres').then(sum);

/**
 * CPU seconds used so far by each part of a stack. Postgres forks a backend per connection and
 * Redis runs threads, so those are summed over every process of that name: the bench runs alone
 * on the machine, and what the servers did for anything else in a run's window is noise we accept.
 * Backends that exited during a run took their CPU time with them, which the pools here avoid by
 * keeping their connections.
 */
export async function cpuTimes(stack: { apiPid: number; workerPids: number[] }, receiverPid: number): Promise<CpuTimes> {
  const [api, worker, postgres, redis, receiver] = await Promise.all([
    cpuSeconds(stack.apiPid),
    sum(stack.workerPids),
    postgresSeconds(),
    pidsNamed('redis-server').then(sum),
    cpuSeconds(receiverPid),
  ]);
  return { api, worker, postgres, redis, receiver };
}

/** CPU milliseconds per delivery of each part between two readings. */
export function cpuPerDelivery(before: CpuTimes, after: CpuTimes, deliveries: number): CpuTimes {
  const per = (k: CpuComponent) => Number(((1000 * (after[k] - before[k])) / Math.max(1, deliveries)).toFixed(3));
  return { api: per('api'), worker: per('worker'), postgres: per('postgres'), redis: per('redis'), receiver: per('receiver') };
}

/** The CPU a delivery cost, all parts together, with the split (and `extra`) in the note. */
export function cpuFigure(key: string, label: string, c: CpuTimes, extra?: string): Figure {
  const total = Number((c.api + c.worker + c.postgres + c.redis + c.receiver).toFixed(3));
  const note = `API ${c.api}, worker ${c.worker}, Postgres ${c.postgres}, Redis ${c.redis}, receiver ${c.receiver}${extra ? `; ${extra}` : ''}`;
  return figure(key, label, 'ms', total, undefined, note);
}
