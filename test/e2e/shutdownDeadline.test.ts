// A stop has a deadline: a worker whose Redis went away while it ran stops on SIGTERM within
// HOOKPOST_SHUTDOWN_TIMEOUT_MS, saying what it was waiting for if it had to give up.
import { expect, it, onTestFinished } from 'vitest';
import { startHarness } from '../support/harness.ts';
import { exited, freePort, spawnEntry, startRedisServer, workerEnv } from '../support/processes.ts';
import { waitUntil } from '../support/wait.ts';

const DEADLINE_MS = 2000;

it('a worker whose Redis is gone still stops on SIGTERM, within its shutdown deadline', async () => {
  const h = await startHarness();
  onTestFinished(() => h.close());
  const redis = await startRedisServer();
  onTestFinished(() => redis.stop());
  const port = await freePort();
  const worker = spawnEntry(
    'dist/server/worker.js',
    workerEnv(h.config, {
      REDIS_URL: redis.url,
      HOOKPOST_SHUTDOWN_TIMEOUT_MS: String(DEADLINE_MS),
      HOOKPOST_WORKER_METRICS_PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    }),
  );
  onTestFinished(async () => {
    worker.kill('SIGKILL');
    await exited(worker);
  });
  const ready = async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200;
  await waitUntil(ready, 30_000, 'the worker to be ready');

  await redis.stop();
  const stoppedAt = Date.now();
  worker.kill('SIGTERM');
  const code = await exited(worker);
  const tookMs = Date.now() - stoppedAt;
  // Done in time, or given up at the deadline with the step it waited for named.
  expect(tookMs, worker.output()).toBeLessThan(DEADLINE_MS + 3000);
  if (code !== 0) {
    expect(code).toBe(1);
    expect(worker.output()).toMatch(/shutdown did not finish within 2000 ms \(waiting for: [^)]+\)/);
  }
}, 60_000);
