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
import { type MemoryPolicyCheck, watchMemoryPolicy } from './redisMemoryPolicy.ts';

/** Everything the API and the worker need from the outside world, built once per process. */
export interface CoreDeps {
  config: Config;
  db: Db;
  /** Plain SQL where Prisma would cost round trips or CPU; Prisma serves the rest. */
  sql: Sql;
  /** The hot paths' prepared statements (publish, claim, record), on generic plans: nothing else. */
  preparedSql: Sql;
  redis: RedisClient;
  /** Redis's maxmemory-policy as last checked (at each connection; see redisMemoryPolicy.ts). */
  redisMemoryPolicy(): MemoryPolicyCheck;
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
  const redis = createRedis(config.redis, logger);
  const memoryPolicy = watchMemoryPolicy(redis, logger);
  // A worker process never subscribes: its subscriber connection is opened only on first use.
  const subscriber = createRedis(config.redis, logger, { lazyConnect: true });
  // The broadcaster publishes every topic of a turn at once: auto-pipelined, that is one write and
  // one read for Redis, not one per topic (a worker's record flush publishes two).
  const publisher = createRedis(config.redis, logger, { autoPipelining: true });
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
    redisMemoryPolicy: memoryPolicy.current,
    secretBox,
    tokenSigningKeys,
    queue,
    broadcaster: createBroadcaster(publisher, subscriber, config.redisPrefix),
    logger,
    metrics: createMetrics({ registry: new Registry(), backlog: () => readBacklog(sql) }),
    async close() {
      memoryPolicy.stop();
      await queue.close();
      await Promise.allSettled([redis.quit(), subscriber.quit(), publisher.quit()]);
      await Promise.allSettled([db.$disconnect(), sql.end(), preparedSql.end()]);
    },
  };
}
