import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { RedisClient } from '../../core/redis.ts';
import type { Sql } from '../../core/db/sql.ts';
import { ENV_ADMIN_KEY_ID, hashApiKey, type Viewer } from './apiKeys.ts';

export interface Authenticator {
  (key: string | undefined): Promise<Viewer | null>;
}

const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

/** The RedisClient key whose value changes whenever any API key is revoked (see `announceRevocation`). */
const epochKey = (prefix: string) => `${prefix}:auth-epoch`;

/**
 * Tells every API replica's key cache that a key was revoked: the next request anywhere looks its
 * key up again. Called before the revoking mutation answers.
 */
export async function announceRevocation(redis: RedisClient, prefix: string): Promise<void> {
  await redis.set(epochKey(prefix), randomUUID());
}

/**
 * API key → viewer, cached per process. Every request reads one small RedisClient value, the revocation
 * epoch; a cached viewer is used only while the epoch is the one it was cached under, so a revoked
 * key is refused on its next request on every replica. A RedisClient that lost its data has no epoch: a new
 * random one is set, which also invalidates every cache. With RedisClient away, keys are looked up in Postgres.
 */
export function createAuthenticator(deps: { sql: Sql; redis: RedisClient; redisPrefix: string }, envAdminKey: string | undefined): Authenticator {
  const envAdminHash = envAdminKey ? Buffer.from(hashApiKey(envAdminKey), 'hex') : undefined;
  const cache = new Map<string, { viewer: Viewer | null; epoch: string; at: number }>();

  async function currentEpoch(): Promise<string | null> {
    // ioredis queues commands while disconnected; a request must not wait for RedisClient to come back.
    if (deps.redis.status !== 'ready') return null;
    const key = epochKey(deps.redisPrefix);
    const epoch = await deps.redis.get(key);
    if (epoch) return epoch;
    await deps.redis.set(key, randomUUID(), 'NX');
    return deps.redis.get(key);
  }

  async function lookUp(hash: string): Promise<Viewer | null> {
    const { rows } = await deps.sql.query<{ id: string; scope: 'ADMIN' | 'PROJECT'; project_id: string | null; revoked_at: Date | null }>(
      'SELECT id, scope, project_id, revoked_at FROM api_keys WHERE key_hash = $1',
      [hash],
    );
    const row = rows[0];
    if (!row || row.revoked_at) return null;
    if (row.scope === 'ADMIN') return { scope: 'ADMIN', keyId: row.id };
    return row.project_id ? { scope: 'PROJECT', keyId: row.id, projectId: row.project_id } : null;
  }

  return async (key) => {
    if (!key) return null;
    const hash = hashApiKey(key);
    if (envAdminHash && timingSafeEqual(envAdminHash, Buffer.from(hash, 'hex'))) {
      return { scope: 'ADMIN', keyId: ENV_ADMIN_KEY_ID };
    }
    const epoch = await currentEpoch().catch(() => null);
    const cached = cache.get(hash);
    if (epoch && cached && cached.epoch === epoch && Date.now() - cached.at < CACHE_TTL_MS) return cached.viewer;
    const viewer = await lookUp(hash);
    if (epoch) {
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
      cache.set(hash, { viewer, epoch, at: Date.now() });
    }
    return viewer;
  };
}
