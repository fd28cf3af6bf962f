import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { RedisClient } from './redis.ts';
import { type Broadcaster, createBroadcaster } from './broadcaster.ts';
import type { Config } from './config.ts';
import { resolveEncryptionKeys } from './crypto/encryptionKeys.ts';
import { createSecretBox, type SecretBox } from './crypto/secretBox.ts';
import { deriveTokenSigningKeys, parseTokenSigningKeys } from './crypto/tokenKeys.ts';
import { createDb, type Db } from './db/client.ts';
import { createPreparedPool, createSqlPool, type Sql } from './db/sql.ts';
import { createLogger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createWakeupQueue, type WakeupQueue } from './queue/wakeups.ts';
import { readBacklog } from './db/backlog.ts';
import { createRedis } from './redis.ts';

/** Everything the API and the worker need from the outside world, built once per process. */
export interface CoreDeps {
  config: Config;
  db: Db;
  /** Plain SQL where Prisma would cost round trips or CPU; Prisma serves the rest. */
  sql: Sql;
  /** The hot paths' prepared statements (publish, claim, record), on generic plans: nothing else. */
  preparedSql: Sql;
  redis: RedisClient;
  secretBox: SecretBox;
  /** Keys signing tenant tokens, newest first (see crypto/tokenKeys.ts). */
  tokenSigningKeys: Buffer[];
  /** Wake-ups for the workers; Postgres is the schedule (see queue/wakeups.ts). */
  queue: WakeupQueue;
  broadcaster: Broadcaster;
  logger: Logger;
  /** This process's metrics, on a registry of its own. */
  metrics: Metrics;
  close(): Promise<void>;
}

export { createLogger };

export async function createCoreDeps(config: Config, logger: Logger = createLogger(config)): Promise<CoreDeps> {
  const db = createDb(config.databaseUrl);
  const sql = createSqlPool(config.databaseUrl);
  const preparedSql = createPreparedPool(config.databaseUrl);
  const redis = createRedis(config.redisUrl, logger);
  // A worker process never subscribes: its subscriber connection is opened only on first use.
  const subscriber = createRedis(config.redisUrl, logger, { lazyConnect: true });
  // The broadcaster publishes every topic of a turn at once: auto-pipelined, that is one write and
  // one read for Redis, not one per topic (a worker's record flush publishes two).
  const publisher = createRedis(config.redisUrl, logger, { autoPipelining: true });
  const encryptionKeys = await resolveEncryptionKeys(config);
  const secretBox = createSecretBox(encryptionKeys);
  const tokenSigningKeys = config.tokenSigningKey ? parseTokenSigningKeys(config.tokenSigningKey) : deriveTokenSigningKeys(encryptionKeys);
  const queue = createWakeupQueue(redis, config.redisPrefix, (err) => logger.warn({ err: err.message }, 'wake-up queue error'));
  return {
    config,
    db,
    sql,
    preparedSql,
    redis,
    secretBox,
    tokenSigningKeys,
    queue,
    broadcaster: createBroadcaster(publisher, subscriber, config.redisPrefix),
    logger,
    metrics: createMetrics({ registry: new Registry(), backlog: () => readBacklog(sql) }),
    async close() {
      await queue.close();
      await Promise.allSettled([redis.quit(), subscriber.quit(), publisher.quit()]);
      await Promise.allSettled([db.$disconnect(), sql.end(), preparedSql.end()]);
    },
  };
}
