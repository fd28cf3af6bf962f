import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exited, freePort, THROWAWAY_REDIS_ARGS } from './processes.ts';
import { redisCliTlsArgs, redisTlsArgs, type TlsFiles } from './tlsCerts.ts';
import { waitUntil } from './wait.ts';

const run = promisify(execFile);

export interface RedisCluster {
  /** REDIS_URL for Hookpost: the nodes, comma-separated (`rediss://`, with the password, when made so). */
  url: string;
  /** The masters' ports (TLS ports when made with `tls`). */
  ports: number[];
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** `requirepass` and `masterauth` of every node. */
  password?: string;
  /** TLS only, for clients and the cluster bus alike. */
  tls?: TlsFiles;
}

/** Three cluster masters on loopback ports, in a temporary directory, gone after `stop`. */
export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<RedisCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hookpost-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const auth = opts.password ? ['--requirepass', opts.password, '--masterauth', opts.password] : [];
  const servers: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        ...(opts.tls ? [...redisTlsArgs(opts.tls, port), '--tls-cluster', 'yes'] : ['--port', String(port)]),
        ...auth,
        ...THROWAWAY_REDIS_ARGS,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
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
  const cli = [...(opts.tls ? redisCliTlsArgs(opts.tls) : []), ...(opts.password ? ['-a', opts.password, '--no-auth-warning'] : [])];
  try {
    const ping = (port: number) =>
      run('redis-cli', [...cli, '-p', String(port), 'ping']).then(
        (r) => r.stdout.trim() === 'PONG',
        () => false,
      );
    await waitUntil(async () => (await Promise.all(ports.map(ping))).every(Boolean), 10_000, 'cluster nodes to start');
    await run('redis-cli', [...cli, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    const ok = (port: number) =>
      run('redis-cli', [...cli, '-p', String(port), 'cluster', 'info']).then(
        (r) => r.stdout.includes('cluster_state:ok'),
        () => false,
      );
    await waitUntil(async () => (await Promise.all(ports.map(ok))).every(Boolean), 20_000, 'the cluster to be ok');
  } catch (err) {
    await stop();
    throw err;
  }
  const origin = `${opts.tls ? 'rediss' : 'redis'}://${opts.password ? `:${encodeURIComponent(opts.password)}@` : ''}127.0.0.1`;
  return { url: ports.map((p) => `${origin}:${p}`).join(','), ports, stop };
}
