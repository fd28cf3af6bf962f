import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { type Authenticator, createAuthenticator } from './auth/apiKeys.ts';
import { type Broadcaster, createBroadcaster } from './broadcaster.ts';
import type { Config } from './config.ts';
import { resolveEncryptionKeys } from './crypto/encryptionKeys.ts';
import { createSecretBox, type SecretBox } from './crypto/secretBox.ts';
import { createDb, type Db } from './db/client.ts';
import { createDeliveryQueue, type DeliveryQueue } from './queue/deliveryQueue.ts';

/** Everything the API and the worker need from the outside world, built once per process. */
export interface AppDeps {
  config: Config;
  db: Db;
  redis: Redis;
  secretBox: SecretBox;
  queue: DeliveryQueue;
  broadcaster: Broadcaster;
  authenticate: Authenticator;
  logger: Logger;
  close(): Promise<void>;
}

export function createRedis(url: string, logger: Logger, opts: { lazyConnect?: boolean } = {}): Redis {
  // BullMQ needs maxRetriesPerRequest: null so that blocking commands survive a Redis restart.
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: opts.lazyConnect });
  // ioredis reconnects by itself; without a listener every failed try would be an "unhandled" error.
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error; reconnecting'));
  return redis;
}

export async function createDeps(config: Config, logger?: Logger): Promise<AppDeps> {
  const log = logger ?? pino({ level: config.logLevel, base: { service: 'hookpost' } });
  const db = createDb(config.databaseUrl);
  const redis = createRedis(config.redisUrl, log);
  // A worker process never subscribes: its subscriber connection is opened only on first use.
  const subscriber = createRedis(config.redisUrl, log, { lazyConnect: true });
  const publisher = createRedis(config.redisUrl, log);
  const secretBox = createSecretBox(await resolveEncryptionKeys(config));
  const queue = createDeliveryQueue(redis, config.redisPrefix, (err) => log.warn({ err: err.message }, 'delivery queue error'));
  return {
    config,
    db,
    redis,
    secretBox,
    queue,
    broadcaster: createBroadcaster(publisher, subscriber, config.redisPrefix),
    authenticate: createAuthenticator(db, config.adminKey),
    logger: log,
    async close() {
      await queue.close();
      await Promise.allSettled([redis.quit(), subscriber.quit(), publisher.quit()]);
      await db.$disconnect();
    },
  };
}
