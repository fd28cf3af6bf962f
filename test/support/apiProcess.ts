import { onTestFinished } from 'vitest';
import type { Config } from '../../src/core/config.ts';
import { TEST_ADMIN_KEY } from './env.ts';
import { exited, freePort, spawnEntry, workerEnv } from './processes.ts';
import { waitUntil } from './wait.ts';

/**
 * A second API replica in a process of its own (the bundle `npm run api` runs), joined to a test's
 * deployment: the same Postgres and Redis, nothing else shared. Returns its URL once it answers; it
 * is killed when the test finishes.
 */
export async function startApiProcess(config: Config, extra: Record<string, string> = {}): Promise<string> {
  const port = await freePort();
  const child = spawnEntry('dist/server/api.js', {
    ...workerEnv(config, extra),
    HOST: '127.0.0.1',
    PORT: String(port),
    HOOKPOST_ADMIN_KEY: TEST_ADMIN_KEY,
  });
  onTestFinished(async () => {
    child.kill('SIGKILL');
    await exited(child);
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`the API process exited with ${child.exitCode}: ${child.output()}`);
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      }).catch(() => undefined);
      return res !== undefined;
    },
    60_000,
    () => `the API process to listen on ${url}; it printed: ${child.output()}`,
  );
  return url;
}
