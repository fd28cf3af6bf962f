import { z } from 'zod';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import { requireApiKey, targetProjectId } from '../auth/access.ts';
import { generateApiKey, type Viewer } from '../auth/apiKeys.ts';
import { notFound } from '../errors.ts';
import { parseInput } from './validation.ts';

const named = z.object({ name: z.string().trim().min(1, 'must not be empty').max(200) });

/** A project key; its plaintext is returned here once and only its hash is stored. */
export async function createApiKey(deps: CoreDeps, viewer: Viewer | null, input: { projectId?: string | null; name: string }) {
  // A tenant token gets FORBIDDEN here from targetProjectId, as from every project-level write.
  const projectId = targetProjectId(viewer, input.projectId);
  const { name } = parseInput(named, input);
  const project = await deps.db.project.findUnique({ where: { id: projectId }, select: { id: true } });
  if (!project) throw notFound('project', projectId);
  const { key, keyHash, keyHint } = generateApiKey();
  const apiKey = await deps.db.apiKey.create({
    data: { id: newId('ApiKey'), name, scope: 'PROJECT', projectId, keyHash, keyHint },
  });
  return { apiKey, key };
}

/** Revokes a key; its open live streams end on every API replica. Revoking twice keeps the first date. */
export async function revokeApiKey(deps: CoreDeps, viewer: Viewer | null, id: string) {
  const v = requireApiKey(viewer);
  const row = await deps.db.apiKey.findUnique({ where: { id } });
  // Admin keys have no project, so only another admin key gets past this.
  if (!row || (v.scope === 'PROJECT' && row.projectId !== v.projectId)) throw notFound('API key', id);
  const apiKey = await deps.db.apiKey.update({ where: { id }, data: { revokedAt: row.revokedAt ?? new Date() } });
  // Sent before this answers: key caches on every replica forget the key, live streams end.
  await deps.broadcaster.publishNow('apiKeyRevoked', { keyId: apiKey.id });
  return apiKey;
}
