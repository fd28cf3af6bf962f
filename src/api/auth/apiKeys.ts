import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../core/db/client.ts';
import { newId } from '../../core/ids.ts';

export type Viewer = { scope: 'ADMIN'; keyId: string } | { scope: 'PROJECT'; keyId: string; projectId: string } | TenantViewer;

/**
 * A tenant token's bearer: one tenant of one project, for as long as the token lasts and the API key
 * that minted it (`keyId`) is not revoked. `mutating` is set for the length of a mutation, where
 * project-level data it may read becomes FORBIDDEN to change (see auth/access.ts).
 */
export interface TenantViewer {
  scope: 'TENANT';
  keyId: string;
  projectId: string;
  tenantId: string;
  expiresAt: Date;
  mutating?: boolean;
}

/** The id the environment's admin key goes by: it has no row. */
export const ENV_ADMIN_KEY_ID = 'key_env_admin';

/**
 * How a tenant token names the environment's admin key when that key minted it: with a fingerprint of
 * the key, so that changing HOOKPOST_ADMIN_KEY ends its tokens as revoking a stored key ends theirs.
 */
export function envAdminMinterId(envAdminKey: string): string {
  return `${ENV_ADMIN_KEY_ID}:${hashApiKey(envAdminKey).slice(0, 16)}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): { key: string; keyHash: string; keyHint: string } {
  const key = `hpk_${randomBytes(32).toString('base64url')}`;
  return { key, keyHash: hashApiKey(key), keyHint: key.slice(-4) };
}

/** The shape generateApiKey gives every stored key: `hpk_` and 32 random bytes in base64url. */
export function looksLikeApiKey(credential: string): boolean {
  return /^hpk_[A-Za-z0-9_-]{43}$/.test(credential);
}

export function keyFromHeaders(headers: Headers): string | undefined {
  const auth = headers.get('authorization');
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    return match ? match[1] : undefined;
  }
  return headers.get('x-api-key')?.trim() || undefined;
}

export function keyFromConnectionParams(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const raw = params?.authorization ?? params?.Authorization ?? params?.apiKey;
  if (typeof raw !== 'string') return undefined;
  return raw.replace(/^Bearer\s+/i, '').trim() || undefined;
}

/**
 * With no admin key in the environment and none in the database, creates one and returns its
 * plaintext so the entry point can print it once.
 */
export async function ensureAdminKey(db: Db, envAdminKey: string | undefined): Promise<string | undefined> {
  if (envAdminKey) return undefined;
  const existing = await db.apiKey.count({ where: { scope: 'ADMIN', revokedAt: null } });
  if (existing > 0) return undefined;
  const { key, keyHash, keyHint } = generateApiKey();
  await db.apiKey.create({ data: { id: newId('ApiKey'), name: 'bootstrap admin', scope: 'ADMIN', keyHash, keyHint } });
  return key;
}
