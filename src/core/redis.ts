import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type ConnectionChoices, type RedisSettings, redisPlan } from './redisOptions.ts';

/** One Redis (direct, or the master Sentinel names), or a Redis Cluster client. */
export type RedisClient = Redis | Cluster;

/**
 * A connection that survives restarts and failovers: BullMQ's blocking commands wait instead of
 * failing. `settings` is `config.redis`. In cluster mode BullMQ needs a hash-tagged prefix, which
 * config gives it.
 */
export function createRedis(settings: RedisSettings, logger: Logger, opts: ConnectionChoices = {}): RedisClient {
  const plan = redisPlan(settings, opts);
  const redis = plan.mode === 'cluster' ? new Cluster(plan.nodes, plan.options) : new Redis(plan.options);
  // ioredis reconnects by itself; without a listener every failed try would be an "unhandled" error.
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error; reconnecting'));
  return redis;
}
