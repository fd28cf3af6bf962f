import { z } from 'zod';
import type { Viewer } from '../auth/apiKeys.ts';
import type { ApiDeps } from '../deps.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { visibleProjectDataOrNotFound } from './access.ts';
import { parseInput } from './validation.ts';

const updateSchema = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200).nullish(),
  strictEventTypes: z.boolean().nullish(),
});

/** A project's own settings: an admin key, or the project's own key (another project's is NOT_FOUND). */
export async function updateProject(deps: ApiDeps, viewer: Viewer | null, input: { id: string; name?: string | null; strictEventTypes?: boolean | null }) {
  const row = await deps.db.project.findUnique({ where: { id: input.id } });
  const existing = visibleProjectDataOrNotFound(viewer, 'project', input.id, row && { ...row, projectId: row.id });
  const fields = parseInput(updateSchema, input);
  const data: Prisma.ProjectUpdateInput = {};
  if (fields.name != null) data.name = fields.name;
  if (fields.strictEventTypes != null) data.strictEventTypes = fields.strictEventTypes;
  const project = await deps.db.project.update({ where: { id: existing.id }, data });
  // Publishing reads strictness from the catalog cache.
  if (project.strictEventTypes !== existing.strictEventTypes) await deps.eventCatalog.changed(project.id);
  return project;
}
