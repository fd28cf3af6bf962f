import { DelayedError, Job, Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { attemptJobId, DELIVERY_QUEUE_NAME } from '../../src/core/queue/deliveryQueue.ts';
import { createRedis } from '../../src/core/redis.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { waitUntil } from '../support/wait.ts';

// retryDelivery brings a delivery's delayed attempt job forward. Its delay may run out between the
// check and the promotion (a worker takes it): that was an INTERNAL_SERVER_ERROR under load.
let h: Harness;
let queue: Queue;

beforeAll(async () => {
  h = await startHarness();
  queue = new Queue(DELIVERY_QUEUE_NAME, { connection: h.deps.redis, prefix: h.config.redisPrefix });
});
afterAll(async () => {
  await queue.close();
  await h.close();
});

describe('bringing an attempt forward', () => {
  const job = (deliveryId: string) => ({ deliveryId, webhookId: 'wh_forward', attemptCount: 2 });

  it('promotes a delayed job', async () => {
    await h.deps.queue.enqueueAttempts([{ ...job('dlv_delayed'), delayMs: 60_000 }]);
    await h.deps.queue.bringForward(job('dlv_delayed'));
    expect(await queue.getJobState(attemptJobId(job('dlv_delayed')))).toBe('waiting');
  });

  it('is content when the job left the delayed set after it was seen there', async () => {
    await h.deps.queue.enqueueAttempts([{ ...job('dlv_raced'), delayMs: 60_000 }]);
    await (await queue.getJob(attemptJobId(job('dlv_raced'))))!.promote();
    // The state as it was read just before the delay ran out.
    const seen = vi.spyOn(Job.prototype, 'isDelayed').mockResolvedValueOnce(true);
    onTestFinished(() => seen.mockRestore());
    await expect(h.deps.queue.bringForward(job('dlv_raced'))).resolves.toBeUndefined();
    expect(await queue.getJobState(attemptJobId(job('dlv_raced')))).toBe('waiting');
  });

  it('makes a new job when the one seen delayed is gone by then', async () => {
    await h.deps.queue.enqueueAttempts([{ ...job('dlv_gone'), delayMs: 60_000 }]);
    const seenJob = (await queue.getJob(attemptJobId(job('dlv_gone'))))!;
    const getJob = vi.spyOn(Queue.prototype, 'getJob').mockResolvedValueOnce(seenJob);
    onTestFinished(() => getJob.mockRestore());
    await seenJob.remove();
    const seen = vi.spyOn(Job.prototype, 'isDelayed').mockResolvedValueOnce(true);
    onTestFinished(() => seen.mockRestore());
    await h.deps.queue.bringForward(job('dlv_gone'));
    expect(await queue.getJobState(attemptJobId(job('dlv_gone')))).toBe('waiting');
  });

  it('waits for a running job that moves itself back to delayed, then promotes it', async () => {
    // A job for a delivery held by an open circuit is running when the circuit closes: it is about
    // to move itself to the circuit's next probe time. Brought forward then, it must still run now.
    const target = attemptJobId(job('dlv_running'));
    const runs: number[] = [];
    let lookedAtHold!: () => void;
    const holdSeen = new Promise<void>((resolve) => (lookedAtHold = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const connection = createRedis(h.config.redisUrl, h.deps.logger);
    const worker = new Worker(
      DELIVERY_QUEUE_NAME,
      async (j, token) => {
        if (j.id !== target) return;
        runs.push(Date.now());
        if (runs.length > 1) return;
        started();
        await holdSeen;
        await j.moveToDelayed(Date.now() + 60_000, token);
        throw new DelayedError();
      },
      { connection, prefix: h.config.redisPrefix },
    );
    onTestFinished(async () => {
      await worker.close();
      connection.disconnect();
    });
    await h.deps.queue.enqueueAttempts([job('dlv_running')]);
    await running;
    const forward = h.deps.queue.bringForward(job('dlv_running'));
    setTimeout(lookedAtHold, 300);
    await forward;
    await waitUntil(() => runs.length === 2, 5000, 'the job to run again');
  });
});
