import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createBroadcaster } from '../../src/core/broadcaster.ts';
import { createRedis } from '../../src/core/redis.ts';
import { waitUntil } from '../support/wait.ts';

const logger = pino({ level: 'silent' });
const publisher = createRedis({ url: 'redis://127.0.0.1:6379', mode: 'single' }, logger, { autoPipelining: true }) as Redis;
const subscriber = createRedis({ url: 'redis://127.0.0.1:6379', mode: 'single' }, logger, { lazyConnect: true }) as Redis;
afterAll(async () => {
  await Promise.all([publisher.quit(), subscriber.quit()]);
});

/** Counts what the publisher writes to its socket from now on. */
function countWrites(): { writes: () => number; commands: () => number; stop: () => void } {
  const stream = publisher.stream;
  const write = stream.write;
  let writes = 0;
  let commands = 0;
  stream.write = function (this: typeof stream, chunk: unknown, ...rest: unknown[]) {
    writes++;
    commands += String(chunk).match(/\r\n\$7\r\npublish\r\n/gi)?.length ?? 0;
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof stream.write;
  return { writes: () => writes, commands: () => commands, stop: () => void (stream.write = write) };
}

describe('broadcaster', () => {
  it('sends a turn of messages as one batch per topic, in order, and all the topics in one write to Redis', async () => {
    const prefix = `bc-${randomBytes(4).toString('hex')}`;
    const broadcaster = createBroadcaster(publisher, subscriber, prefix);
    const attempts: string[] = [];
    const updates: string[] = [];
    const stopAttempts = broadcaster.listen('deliveryAttemptCreated', (m) => attempts.push(m.attemptId));
    const stopUpdates = broadcaster.listen('deliveryUpdated', (m) => updates.push(m.deliveryId));
    // A message published before the subscriptions are live would be lost: wait until Redis has both.
    const channels = [`${prefix}:deliveryAttemptCreated`, `${prefix}:deliveryUpdated`];
    await waitUntil(async () => {
      const counts = (await publisher.pubsub('NUMSUB', ...channels)) as (string | number)[];
      return Number(counts[1]) === 1 && Number(counts[3]) === 1;
    });

    const counter = countWrites();
    for (let i = 0; i < 3; i++) {
      const ids = { deliveryId: `d${i}`, webhookId: 'w', projectId: 'p' };
      broadcaster.publish('deliveryAttemptCreated', { attemptId: `a${i}`, ...ids });
      broadcaster.publish('deliveryUpdated', ids);
    }
    await waitUntil(() => attempts.length === 3 && updates.length === 3);
    counter.stop();

    expect(attempts).toEqual(['a0', 'a1', 'a2']);
    expect(updates).toEqual(['d0', 'd1', 'd2']);
    // One PUBLISH per topic, both in the same write.
    expect(counter.commands()).toBe(2);
    expect(counter.writes()).toBe(1);
    stopAttempts();
    stopUpdates();
  });
});
