import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import type { Config } from '../../src/core/config.ts';
import { TEST_ENCRYPTION_KEY } from './env.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The environment a child worker needs to join a test's deployment. */
export function workerEnv(config: Config, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    HOOKPOST_REDIS_PREFIX: config.redisPrefix,
    HOOKPOST_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    HOOKPOST_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128',
    // As in testConfig: the circuit breaker only where a test switches it on.
    HOOKPOST_CIRCUIT_FAILURES: '0',
    ...extra,
  };
}

/**
 * Starts an entry point as its own Node process (no npx or tsx wrapper, so a signal reaches it),
 * collecting what it prints. A `.js` script (the bundle in dist/server that `npm start` runs, built
 * by the global setup) runs as plain JavaScript; a `.ts` one through tsx.
 */
export function spawnEntry(script: string, env: NodeJS.ProcessEnv): ChildProcess & { output: () => string } {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return Object.assign(child, { output: () => output });
}

export function spawnWorker(env: NodeJS.ProcessEnv): ChildProcess {
  return spawnEntry('dist/server/worker.js', env);
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Whether a TCP connection to `port` on loopback is refused, i.e. nothing listens there. */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

export interface RedisServer {
  url: string;
  port: number;
  /**
   * Kills the server (it keeps nothing on disk), runs `whileDown` once it is gone, then starts an
   * empty one on the same port.
   */
  restart(whileDown: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** What every test's redis-server is: on loopback only, keeping nothing on disk. */
export const THROWAWAY_REDIS_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];

/** Starts a throw-away redis-server on `port` with extra directives, once it answers PING. */
export async function launchRedisServer(port: number, directives: string[] = []): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), ...THROWAWAY_REDIS_ARGS, ...directives], { stdio: 'ignore' });
  const { Redis } = await import('ioredis');
  const probe = new Redis(`redis://127.0.0.1:${port}`, { retryStrategy: () => 50, maxRetriesPerRequest: null });
  probe.on('error', () => {}); // refused until the server is up
  try {
    await probe.ping();
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    probe.disconnect();
  }
  return child;
}

/** A private, throw-away Redis server, for tests that flush or restart Redis under a running worker. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child = await launchRedisServer(port);
  const stop = async () => {
    child.kill('SIGKILL');
    await exited(child);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart(whileDown) {
      await stop();
      try {
        await whileDown();
      } finally {
        child = await launchRedisServer(port);
      }
    },
    stop,
  };
}
