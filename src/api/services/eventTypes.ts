import { z } from 'zod';
import type { Db } from '../../core/db/client.ts';
import { isPrismaError } from '../../core/db/errors.ts';
import { newId } from '../../core/ids.ts';
import { Prisma } from '../../generated/prisma/client.ts';
import type { Viewer } from '../auth/apiKeys.ts';
import { targetProjectId } from '../auth/access.ts';
import type { ApiDeps } from '../deps.ts';
import { badInput, clientError, notFound } from '../errors.ts';
import { visibleProjectDataOrNotFound } from './access.ts';
import { createSchemaCompiler, schemaProblem, validationErrorsOf } from './eventSchema.ts';
import { eventData, eventType, parseInput } from './validation.ts';

// Event types are project data: whoever may see a project's webhooks may read and write them
// (the checks below are the shared project checks, so narrower keys inherit their rules).

const jsonSchema = z
  .unknown()
  .superRefine((schema, ctx) => {
    if (schema === null || schema === undefined) return;
    const problem = schemaProblem(schema);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .optional();

const editable = {
  description: z.string().max(2000).nullish(),
  schema: jsonSchema,
  example: eventData.nullish(),
};
const createSchema = z.object({ name: eventType, ...editable });
const updateSchema = z.object({ ...editable, deprecated: z.boolean().nullish() });

export interface CreateEventTypeInput {
  projectId?: string | null;
  name: string;
  description?: string | null;
  schema?: unknown;
  example?: unknown;
}

export interface UpdateEventTypeInput {
  id: string;
  description?: string | null;
  schema?: unknown;
  example?: unknown;
  deprecated?: boolean | null;
}

/** An example is sample data of its type: it must pass the type's schema. */
function checkExample(schema: unknown, example: unknown, message: string) {
  if (schema === null || schema === undefined || example === null || example === undefined) return;
  const validate = createSchemaCompiler().compile(schema);
  if (validate(example)) return;
  const validationErrors = validationErrorsOf(validate);
  const first = validationErrors[0];
  throw clientError('BAD_USER_INPUT', `example: ${message}: data${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`, {
    field: 'example',
    validationErrors,
  });
}

const json = (v: unknown) => (v === null || v === undefined ? Prisma.DbNull : (v as Prisma.InputJsonValue));

export async function loadEventType(db: Db, viewer: Viewer | null, id: string) {
  return visibleProjectDataOrNotFound(viewer, 'event type', id, await db.eventType.findUnique({ where: { id } }));
}

export async function createEventType(deps: ApiDeps, viewer: Viewer | null, input: CreateEventTypeInput) {
  const projectId = targetProjectId(viewer, input.projectId);
  const fields = parseInput(createSchema, input);
  checkExample(fields.schema, fields.example?.value, 'does not match the schema');
  const project = await deps.db.project.findUnique({ where: { id: projectId }, select: { id: true } });
  if (!project) throw notFound('project', projectId);
  try {
    const row = await deps.db.eventType.create({
      data: {
        id: newId('EventType'),
        projectId,
        name: fields.name,
        description: fields.description ?? null,
        schema: json(fields.schema),
        example: json(fields.example?.value),
      },
    });
    await deps.eventCatalog.changed(projectId);
    return row;
  } catch (err) {
    if (isPrismaError(err, 'P2002')) throw clientError('CONFLICT', `An event type named "${fields.name}" already exists in this project`, { field: 'name' });
    throw err;
  }
}

/** Leaves out what the input leaves out; null clears a description, schema or example. */
export async function updateEventType(deps: ApiDeps, viewer: Viewer | null, input: UpdateEventTypeInput) {
  const existing = await loadEventType(deps.db, viewer, input.id);
  const fields = parseInput(updateSchema, input);
  const schema = fields.schema !== undefined ? fields.schema : existing.schema;
  if (fields.example !== undefined) checkExample(schema, fields.example?.value, 'does not match the schema');
  else checkExample(schema, existing.example, 'the current example does not match the new schema; send a new example (or null)');
  const data: Prisma.EventTypeUpdateInput = {};
  if (fields.description !== undefined) data.description = fields.description;
  if (fields.schema !== undefined) data.schema = json(fields.schema);
  if (fields.example !== undefined) data.example = json(fields.example?.value);
  if (fields.deprecated != null) data.deprecated = fields.deprecated;
  const row = await deps.db.eventType.update({ where: { id: existing.id }, data });
  await deps.eventCatalog.changed(row.projectId);
  return row;
}

export async function deleteEventType(deps: ApiDeps, viewer: Viewer | null, id: string) {
  const existing = await loadEventType(deps.db, viewer, id);
  await deps.db.eventType.delete({ where: { id: existing.id } });
  await deps.eventCatalog.changed(existing.projectId);
  return existing.id;
}

/**
 * In a strict project a webhook may subscribe by exact name only to catalogued types (deprecated
 * ones included); wildcards stay allowed, since they name no type.
 */
export async function checkSubscriptions(db: Db, projectId: string, patterns: readonly string[]): Promise<void> {
  const exact = patterns.filter((p) => !p.includes('*'));
  if (!exact.length) return;
  const project = await db.project.findUnique({ where: { id: projectId }, select: { strictEventTypes: true } });
  if (!project?.strictEventTypes) return;
  const known = new Set((await db.eventType.findMany({ where: { projectId, name: { in: exact } }, select: { name: true } })).map((t) => t.name));
  const missing = exact.filter((name) => !known.has(name));
  if (missing.length) {
    throw badInput(
      `events: ${missing.map((n) => `"${n}"`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in the project's event-type catalog (strictEventTypes is on); create the type first or subscribe with a wildcard`,
      'events',
    );
  }
}

/** The catalogued example of a type, for test events sent without data. */
export async function exampleOf(db: Db, projectId: string, type: string): Promise<Prisma.JsonObject | undefined> {
  const row = await db.eventType.findUnique({ where: { projectId_name: { projectId, name: type } }, select: { example: true } });
  return row?.example && typeof row.example === 'object' && !Array.isArray(row.example) ? (row.example as Prisma.JsonObject) : undefined;
}
