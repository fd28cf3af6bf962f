import { timingSafeEqual } from 'node:crypto';
import type { Broadcaster } from '../../core/broadcaster.ts';
import type { Sql } from '../../core/db/sql.ts';
import type { RedisClient } from '../../core/redis.ts';
import { tokenKeyRing } from '../../core/crypto/tokenKeys.ts';
import { clientError } from '../errors.ts';
import { ENV_ADMIN_KEY_ID, envAdminMinterId, hashApiKey, looksLikeApiKey, type Viewer } from './apiKeys.ts';
import { looksLikeTenantToken, verifyTenantToken } from './tenantTokens.ts';

/**
 * An API key or a tenant token → its viewer; null for no credential or an unknown key. A tenant token
 * that is expired, forged, signed by a retired key or minted by a revoked key throws UNAUTHENTICATED
 * saying so.
 */
export type Authenticator = (key: string | undefined) => Promise<Viewer | null>;

const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

/**
 * API key → viewer, cached per process and emptied by every `apiKeyRevoked` message, which
 * `revokeApiKey` publishes before it answers, so a revoked key is refused on its next request on
 * every replica. While the pub/sub connection is down, or came back (messages may have been missed
 * meanwhile), the cache is not trusted: keys are looked up in Postgres until it is listening again.
 */
export function createAuthenticator(
  deps: { sql: Sql; redis: RedisClient; broadcaster: Broadcaster; tokenSigningKeys: Buffer[] },
  envAdminKey: string | undefined,
): Authenticator & { close(): Promise<void> } {
  const envAdminHash = envAdminKey ? Buffer.from(hashApiKey(envAdminKey), 'hex') : undefined;
  const ring = tokenKeyRing(deps.tokenSigningKeys);
  const cache = new Map<string, { viewer: Viewer | null; at: number }>();
  // A tenant token lives as long as the key that minted it: key id → may it still mint (same rules as the cache).
  const minters = new Map<string, { projectId: string | null; at: number } | { revoked: true; at: number }>();
  const forget = () => {
    cache.clear();
    minters.clear();
  };
  deps.redis.on('ready', forget);
  const stopListening = deps.broadcaster.listen('apiKeyRevoked', forget);

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

  /** The project a minting key may still speak for (null: an admin key, any project); undefined once revoked or gone. */
  async function minter(keyId: string): Promise<{ projectId: string | null } | undefined> {
    if (keyId.startsWith(`${ENV_ADMIN_KEY_ID}:`)) return envAdminKey && keyId === envAdminMinterId(envAdminKey) ? { projectId: null } : undefined;
    const trusted = deps.redis.status === 'ready';
    const cached = trusted ? minters.get(keyId) : undefined;
    let entry = cached && Date.now() - cached.at < CACHE_TTL_MS ? cached : undefined;
    if (!entry) {
      const { rows } = await deps.sql.query<{ project_id: string | null; revoked_at: Date | null }>(
        'SELECT project_id, revoked_at FROM api_keys WHERE id = $1',
        [keyId],
      );
      entry = rows[0] && !rows[0].revoked_at ? { projectId: rows[0].project_id, at: Date.now() } : { revoked: true, at: Date.now() };
      if (trusted) {
        if (minters.size >= CACHE_MAX) minters.delete(minters.keys().next().value as string);
        minters.set(keyId, entry);
      }
    }
    return 'revoked' in entry ? undefined : entry;
  }

  async function tenantViewer(token: string): Promise<Viewer> {
    const claims = await verifyTenantToken(ring, token);
    const by = await minter(claims.keyId);
    if (!by || (by.projectId !== null && by.projectId !== claims.projectId)) {
      throw clientError('UNAUTHENTICATED', 'Tenant token revoked: the API key that minted it was revoked');
    }
    return { scope: 'TENANT', keyId: claims.keyId, projectId: claims.projectId, tenantId: claims.tenantId, expiresAt: claims.expiresAt };
  }

  const authenticate = async (key: string | undefined): Promise<Viewer | null> => {
    if (!key) return null;
    const hash = hashApiKey(key);
    if (envAdminHash && timingSafeEqual(envAdminHash, Buffer.from(hash, 'hex'))) {
      return { scope: 'ADMIN', keyId: ENV_ADMIN_KEY_ID };
    }
    if (looksLikeTenantToken(key)) return tenantViewer(key);
    // Every stored key was made by generateApiKey: anything else is wrong without asking Postgres.
    if (!looksLikeApiKey(key)) return null;
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
      stopListening();
    },
  });
}
