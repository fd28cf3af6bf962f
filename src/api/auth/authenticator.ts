import { timingSafeEqual } from 'node:crypto';
import type { Broadcaster } from '../../core/broadcaster.ts';
import type { Sql } from '../../core/db/sql.ts';
import type { RedisClient } from '../../core/redis.ts';
import { ENV_ADMIN_KEY_ID, hashApiKey, type Viewer } from './apiKeys.ts';

export interface Authenticator {
  (key: string | undefined): Promise<Viewer | null>;
}

const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

/**
 * API key → viewer, cached per process and emptied by every `apiKeyRevoked` message, which
 * `revokeApiKey` publishes before it answers, so a revoked key is refused on its next request on
 * every replica. While the pub/sub connection is down, or came back (messages may have been missed
 * meanwhile), the cache is not trusted: keys are looked up in Postgres until it is listening again.
 */
export function createAuthenticator(
  deps: { sql: Sql; redis: RedisClient; broadcaster: Broadcaster },
  envAdminKey: string | undefined,
): Authenticator & { close(): Promise<void> } {
  const envAdminHash = envAdminKey ? Buffer.from(hashApiKey(envAdminKey), 'hex') : undefined;
  const cache = new Map<string, { viewer: Viewer | null; at: number }>();
  const forget = () => cache.clear();
  deps.redis.on('ready', forget);
  const revocations = deps.broadcaster.subscribe('apiKeyRevoked')[Symbol.asyncIterator]();
  void (async () => {
    for (let next = await revocations.next(); !next.done; next = await revocations.next()) forget();
  })().catch(() => forget());

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

  const authenticate = async (key: string | undefined): Promise<Viewer | null> => {
    if (!key) return null;
    const hash = hashApiKey(key);
    if (envAdminHash && timingSafeEqual(envAdminHash, Buffer.from(hash, 'hex'))) {
      return { scope: 'ADMIN', keyId: ENV_ADMIN_KEY_ID };
    }
    const trusted = deps.redis.status === 'ready';
    const cached = trusted ? cache.get(hash) : undefined;
    if (cached && Date.now() - cached.at < CACHE_TTL_MS) return cached.viewer;
    const viewer = await lookUp(hash);
    if (trusted) {
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
      cache.set(hash, { viewer, at: Date.now() });
    }
    return viewer;
  };
  return Object.assign(authenticate, {
    /** Stops listening for revocations. */
    async close() {
      deps.redis.off('ready', forget);
      await revocations.return?.();
    },
  });
}
