import { spawn } from 'node:child_process';
import { exited, freePort } from './processes.ts';

export interface ConfiguredRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A throw-away redis-server on a loopback port with extra directives (`--maxmemory-policy`, …). */
export async function startConfiguredRedis(directives: string[]): Promise<ConfiguredRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...directives], { stdio: 'ignore' });
  const stop = async () => {
    child.kill('SIGKILL');
    await exited(child);
  };
  const { Redis } = await import('ioredis');
  const probe = new Redis(url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
  probe.on('error', () => {}); // refused until the server is up
  try {
    await probe.ping();
  } catch (err) {
    await stop();
    throw err;
  } finally {
    probe.disconnect();
  }
  return { url, port, stop };
}
