import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** A Redis connection that survives restarts: BullMQ's blocking commands wait instead of failing. */
export function createRedis(url: string, logger: Logger, opts: { lazyConnect?: boolean } = {}): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: opts.lazyConnect });
  // ioredis reconnects by itself; without a listener every failed try would be an "unhandled" error.
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error; reconnecting'));
  return redis;
}
