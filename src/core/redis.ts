import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type ConnectionChoices, type RedisSettings, redisPlan, resolveRedisMode } from './redisOptions.ts';

/** One Redis (direct, or the master Sentinel names), or a Redis Cluster client. */
export type RedisClient = Redis | Cluster;

// Some callers hold only `config.redisUrl` (a worker's BullMQ connection): they get the settings
// createRedis was last given for that URL, so every connection of a process shares one mode.
const settingsByUrl = new Map<string, RedisSettings>();

function settingsFor(target: string | RedisSettings): RedisSettings {
  if (typeof target !== 'string') {
    settingsByUrl.set(target.url, target);
    return target;
  }
  return settingsByUrl.get(target) ?? { url: target, mode: resolveRedisMode(target) };
}

/**
 * A connection that survives restarts and failovers: BullMQ's blocking commands wait instead of
 * failing. `target` is `config.redis`; a bare URL means the settings last given for it, else the
 * URL alone (several nodes: a Cluster). In cluster mode BullMQ needs a hash-tagged prefix, which
 * config gives it.
 */
export function createRedis(target: string | RedisSettings, logger: Logger, opts: ConnectionChoices = {}): RedisClient {
  const plan = redisPlan(settingsFor(target), opts);
  const redis = plan.mode === 'cluster' ? new Cluster(plan.nodes, plan.options) : new Redis(plan.options);
  // ioredis reconnects by itself; without a listener every failed try would be an "unhandled" error.
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error; reconnecting'));
  return redis;
}
