import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exited, freePort } from './processes.ts';
import { waitUntil } from './wait.ts';

const run = promisify(execFile);

export interface RedisCluster {
  /** REDIS_URL for Hookpost: the nodes, comma-separated. */
  url: string;
  stop(): Promise<void>;
}

/** Three cluster masters on loopback ports, in a temporary directory, gone after `stop`. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hookpost-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const servers: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    for (const s of servers) s.kill('SIGKILL');
    await Promise.all(servers.map(exited));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ping = (port: number) =>
      run('redis-cli', ['-p', String(port), 'ping']).then(
        (r) => r.stdout.trim() === 'PONG',
        () => false,
      );
    await waitUntil(async () => (await Promise.all(ports.map(ping))).every(Boolean), 10_000, 'cluster nodes to start');
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    const ok = (port: number) =>
      run('redis-cli', ['-p', String(port), 'cluster', 'info']).then(
        (r) => r.stdout.includes('cluster_state:ok'),
        () => false,
      );
    await waitUntil(async () => (await Promise.all(ports.map(ok))).every(Boolean), 20_000, 'the cluster to be ok');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: ports.map((p) => `redis://127.0.0.1:${p}`).join(','), stop };
}
