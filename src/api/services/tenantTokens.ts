import { z } from 'zod';
import type { CoreDeps } from '../../core/deps.ts';
import { tokenKeyRing } from '../../core/crypto/tokenKeys.ts';
import { requireApiKey, targetProjectId } from '../auth/access.ts';
import { ENV_ADMIN_KEY_ID, envAdminMinterId, type Viewer } from '../auth/apiKeys.ts';
import { mintTenantToken } from '../auth/tenantTokens.ts';
import { notFound } from '../errors.ts';
import { tenantId } from './tenants.ts';
import { parseInput } from './validation.ts';

export const DEFAULT_TOKEN_SECONDS = 3600;
export const MAX_TOKEN_SECONDS = 24 * 3600;

const tokenSchema = z.object({
  tenantId,
  expiresInSeconds: z.number().int().min(1).max(MAX_TOKEN_SECONDS, `at most ${MAX_TOKEN_SECONDS} (24 h)`).nullish(),
});

/**
 * A token for one tenant of one project, for the SaaS's own UI (its customer's webhooks page). It
 * names the API key that minted it: revoking that key ends the token, as does retiring the signing key.
 */
export async function createTenantToken(
  deps: CoreDeps,
  viewer: Viewer | null,
  input: { projectId?: string | null; tenantId: string; expiresInSeconds?: number | null },
) {
  const v = requireApiKey(viewer);
  const projectId = targetProjectId(v, input.projectId);
  const parsed = parseInput(tokenSchema, input);
  const project = await deps.db.project.findUnique({ where: { id: projectId }, select: { id: true } });
  if (!project) throw notFound('project', projectId);
  return mintTenantToken(
    tokenKeyRing(deps.tokenSigningKeys),
    { projectId, tenantId: parsed.tenantId, keyId: v.keyId === ENV_ADMIN_KEY_ID && deps.config.adminKey ? envAdminMinterId(deps.config.adminKey) : v.keyId },
    parsed.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS,
  );
}
