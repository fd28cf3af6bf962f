import { z } from 'zod';
import { defaultProjectSettings, storedForm } from '../../core/delivery/projectSettings.ts';
import { newId } from '../../core/ids.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { requireAdmin } from '../auth/access.ts';
import type { Viewer } from '../auth/apiKeys.ts';
import type { ApiDeps } from '../deps.ts';
import { visibleProjectDataOrNotFound } from './access.ts';
import { projectSettingsInput, settingsColumns } from './projectSettings.ts';
import { parseInput } from './validation.ts';

const projectName = z.string().trim().min(1, 'must not be empty').max(200);

const createSchema = z.object({ name: projectName, strictEventTypes: z.boolean().nullish(), delivery: projectSettingsInput.nullish() });
const updateSchema = z.object({ name: projectName.nullish(), strictEventTypes: z.boolean().nullish(), delivery: projectSettingsInput.nullish() });

/** As GraphQL hands it over; `parseInput` checks it (a GraphQL input object's fields may all be null). */
type ProjectInput = { name?: string | null; strictEventTypes?: boolean | null; delivery?: Record<string, unknown> | null };

/**
 * A new project (an admin key). Its delivery settings start as the deployment's (the environment's
 * HOOKPOST_HEADER_PREFIX, …) with whatever `delivery` gives on top, and are its own from then on.
 */
export async function createProject(deps: ApiDeps, viewer: Viewer | null, input: ProjectInput & { name: string }) {
  requireAdmin(viewer);
  const fields = parseInput(createSchema, input);
  const delivery = settingsColumns(fields.delivery, storedForm(defaultProjectSettings(deps.config.delivery)));
  return deps.db.project.create({
    data: { id: newId('Project'), name: fields.name, strictEventTypes: fields.strictEventTypes ?? false, ...delivery } as Prisma.ProjectCreateInput,
  });
}

/**
 * A project's own settings: an admin key, or the project's own key (another project's is NOT_FOUND).
 * Delivery settings reach the next attempt of every delivery, on every worker: the claim reads them.
 */
export async function updateProject(deps: ApiDeps, viewer: Viewer | null, input: ProjectInput & { id: string }) {
  const row = await deps.db.project.findUnique({ where: { id: input.id } });
  const existing = visibleProjectDataOrNotFound(viewer, 'project', input.id, row && { ...row, projectId: row.id });
  const fields = parseInput(updateSchema, input);
  const data: Prisma.ProjectUpdateInput = settingsColumns(fields.delivery);
  if (fields.name != null) data.name = fields.name;
  if (fields.strictEventTypes != null) data.strictEventTypes = fields.strictEventTypes;
  const project = await deps.db.project.update({ where: { id: existing.id }, data });
  // Publishing reads strictness from the catalog cache.
  if (project.strictEventTypes !== existing.strictEventTypes) await deps.eventCatalog.changed(project.id);
  return project;
}
