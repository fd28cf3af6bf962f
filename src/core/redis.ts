import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';

/** One Redis, or a Redis Cluster when REDIS_URL lists several nodes. */
export type RedisClient = Redis | Cluster;

/** The nodes of REDIS_URL: one URL, or several comma-separated for a Redis Cluster. */
export function redisNodes(url: string): string[] {
  return url
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/**
 * A connection that survives restarts: BullMQ's blocking commands wait instead of failing. With
 * several nodes it is a Cluster client (BullMQ then needs a hash-tagged prefix, which config gives it).
 */
export function createRedis(url: string, logger: Logger, opts: { lazyConnect?: boolean; autoPipelining?: boolean } = {}): RedisClient {
  const nodes = redisNodes(url);
  const enableAutoPipelining = opts.autoPipelining ?? false;
  const options = { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: opts.lazyConnect, enableAutoPipelining };
  const redis =
    nodes.length > 1
      ? new Cluster(
          nodes.map((node) => {
            const u = new URL(node);
            return { host: u.hostname, port: Number(u.port || 6379) };
          }),
          { redisOptions: options, lazyConnect: opts.lazyConnect, enableReadyCheck: true, enableAutoPipelining },
        )
      : new Redis(nodes[0], options);
  // ioredis reconnects by itself; without a listener every failed try would be an "unhandled" error.
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error; reconnecting'));
  return redis;
}
