import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import type { TokenKeyRing } from '../../core/crypto/tokenKeys.ts';
import { clientError } from '../errors.ts';

/**
 * Tenant tokens are HS256 JWTs signed by the server's token key: `sub` the tenant, `prj` the project,
 * `akid` the API key that minted them. The key ring's id goes in the header (`kid`), so a token
 * signed by a key no longer configured is recognised as such after a rotation.
 */
const ISSUER = 'hookpost';
const AUDIENCE = 'hookpost-tenant';

export interface TenantTokenClaims {
  projectId: string;
  tenantId: string;
  keyId: string;
  expiresAt: Date;
}

export async function mintTenantToken(ring: TokenKeyRing, claims: Omit<TenantTokenClaims, 'expiresAt'>, expiresInSeconds: number) {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + expiresInSeconds;
  const token = await new SignJWT({ prj: claims.projectId, akid: claims.keyId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: ring.current.id })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.tenantId)
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(ring.current.key);
  return { token, expiresAt: new Date(exp * 1000) };
}

/** API keys (`hpk_…`) never hold a dot; a JWT is three dot-separated base64url parts. */
export function looksLikeTenantToken(credential: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(credential);
}

const unauthenticated = (message: string) => clientError('UNAUTHENTICATED', message);
/** A token this server did not sign as it stands: forged, tampered with, or not a token at all. */
export const INVALID_TOKEN_MESSAGE = 'Invalid tenant token: forged, tampered with or malformed';

/** The token's claims, or UNAUTHENTICATED saying why not (expired, signed by a retired key, forged). */
export async function verifyTenantToken(ring: TokenKeyRing, token: string): Promise<TenantTokenClaims> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw unauthenticated(INVALID_TOKEN_MESSAGE);
  }
  // Every token this server mints names its key: one without is not one of ours.
  if (!kid) throw unauthenticated(INVALID_TOKEN_MESSAGE);
  const key = ring.byId.get(kid);
  if (!key) throw unauthenticated('Tenant token signed with a key that is no longer configured (the signing key was rotated); mint a new one');
  try {
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp', 'sub'] });
    if (typeof payload.prj !== 'string' || typeof payload.akid !== 'string' || !payload.sub) throw unauthenticated(INVALID_TOKEN_MESSAGE);
    return { projectId: payload.prj, tenantId: payload.sub, keyId: payload.akid, expiresAt: new Date(payload.exp! * 1000) };
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw unauthenticated('Tenant token expired; mint a new one with createTenantToken');
    if (err instanceof errors.JOSEError) throw unauthenticated(INVALID_TOKEN_MESSAGE);
    throw err;
  }
}
