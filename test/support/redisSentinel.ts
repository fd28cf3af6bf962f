import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exited, freePort, THROWAWAY_REDIS_ARGS } from './processes.ts';
import { waitUntil } from './wait.ts';

const run = promisify(execFile);

export interface RedisSentinel {
  /** REDIS_URL for Hookpost: the sentinels, comma-separated, with their password. */
  url: string;
  master: string;
  masterPassword: string;
  /** The port of the server the sentinels call master now. */
  masterPort(): Promise<number>;
  /** Asks a sentinel to fail over (SENTINEL FAILOVER) and waits until they all name the new master. */
  failover(): Promise<{ from: number; to: number }>;
  stop(): Promise<void>;
}

const MASTER = 'hookpost-main';
const MASTER_PASSWORD = 'master-secret';
const SENTINEL_PASSWORD = 'sentinel-secret';

/**
 * A master, one replica and three sentinels (quorum 2) on loopback ports, each password-protected,
 * in a temporary directory, gone after `stop`.
 */
export async function startRedisSentinel(): Promise<RedisSentinel> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hookpost-sentinel-'));
  const [masterPort, replicaPort, ...sentinelPorts] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const processes: ChildProcess[] = [];
  const stop = async () => {
    for (const p of processes) p.kill('SIGKILL');
    await Promise.all(processes.map(exited));
    await rm(dir, { recursive: true, force: true });
  };
  const data = (port: number, extra: string[]) =>
    spawn(
      'redis-server',
      ['--port', String(port), ...THROWAWAY_REDIS_ARGS, '--dir', dir, '--requirepass', MASTER_PASSWORD, '--masterauth', MASTER_PASSWORD, ...extra],
      { stdio: 'ignore' },
    );
  const cli = (port: number, password: string, ...args: string[]) =>
    run('redis-cli', ['-p', String(port), '-a', password, '--no-auth-warning', ...args]).then((r) => r.stdout.trim());
  const answers = (port: number, password: string, ...args: string[]) => cli(port, password, ...args).catch(() => '');
  try {
    processes.push(data(masterPort, []), data(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]));
    await waitUntil(
      async () => (await answers(replicaPort, MASTER_PASSWORD, 'info', 'replication')).includes('master_link_status:up'),
      15_000,
      'the replica to sync',
    );
    for (const port of sentinelPorts) {
      const conf = path.join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its file as it learns the topology, so each needs its own, writable.
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `requirepass ${SENTINEL_PASSWORD}`,
          `sentinel sentinel-pass ${SENTINEL_PASSWORD}`,
          `sentinel monitor ${MASTER} 127.0.0.1 ${masterPort} 2`,
          `sentinel auth-pass ${MASTER} ${MASTER_PASSWORD}`,
          `sentinel down-after-milliseconds ${MASTER} 1000`,
          `sentinel failover-timeout ${MASTER} 10000`,
          '',
        ].join('\n'),
      );
      processes.push(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
    }
    // SENTINEL FAILOVER needs the sentinels to know the replica and each other.
    await waitUntil(
      async () => {
        const views = await Promise.all(sentinelPorts.map((p) => answers(p, SENTINEL_PASSWORD, 'sentinel', 'master', MASTER)));
        return views.every((v) => /num-slaves\n1\n/.test(v) && /num-other-sentinels\n2\n/.test(v));
      },
      30_000,
      'the sentinels to see the replica and each other',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const masterPortNow = async (sentinel = sentinelPorts[0]) =>
    Number((await cli(sentinel, SENTINEL_PASSWORD, 'sentinel', 'get-master-addr-by-name', MASTER)).split('\n')[1]);
  return {
    url: sentinelPorts.map((p, i) => `redis://${i === 0 ? `:${SENTINEL_PASSWORD}@` : ''}127.0.0.1:${p}`).join(','),
    master: MASTER,
    masterPassword: MASTER_PASSWORD,
    masterPort: () => masterPortNow(),
    async failover() {
      const from = await masterPortNow();
      await cli(sentinelPorts[0], SENTINEL_PASSWORD, 'sentinel', 'failover', MASTER);
      const to = from === masterPort ? replicaPort : masterPort;
      await waitUntil(
        async () => (await Promise.all(sentinelPorts.map((p) => masterPortNow(p).catch(() => 0)))).every((p) => p === to),
        30_000,
        'every sentinel to name the new master',
      );
      return { from, to };
    },
    stop,
  };
}
