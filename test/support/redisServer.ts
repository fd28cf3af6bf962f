import { exited, freePort, launchRedisServer } from './processes.ts';

export interface ConfiguredRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A throw-away redis-server on a loopback port with extra directives (`--maxmemory-policy`, …). */
export async function startConfiguredRedis(directives: string[]): Promise<ConfiguredRedis> {
  const port = await freePort();
  const child = await launchRedisServer(port, directives);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}
