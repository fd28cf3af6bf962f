import { requireAdmin, requireApiKey, targetProjectId } from '../../auth/access.ts';
import { createApiKey, revokeApiKey } from '../../services/apiKeys.ts';
import { visibleProjectDataOrNotFound } from '../../services/access.ts';
import { createProject, updateProject } from '../../services/projects.ts';
import { ProjectDeliveryInput, ProjectDeliveryRef } from './projectDelivery.ts';
import { builder, maxPageSize } from '../builder.ts';

export const ProjectRef = builder.prismaNode('Project', {
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    name: t.exposeString('name'),
    strictEventTypes: t.exposeBoolean('strictEventTypes', {
      description: 'When on, publishing a type not in the event-type catalog is refused, and so is a webhook subscribing to one by exact name',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    delivery: t.field({
      type: ProjectDeliveryRef,
      description:
        "How this project's deliveries look and behave: its brand (header names, signature format, body envelope, user agent), its default retry policy and auto-disable threshold",
      select: { headerPrefix: true, signatureFormat: true, envelope: true, userAgent: true, retryPolicy: true, disableAfterFailures: true },
      resolve: (project) => project,
    }),
  }),
});

export const ApiKeyScopeEnum = builder.enumType('ApiKeyScope', { values: ['ADMIN', 'PROJECT'] as const });

export const ApiKeyRef = builder.prismaNode('ApiKey', {
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    name: t.exposeString('name'),
    scope: t.expose('scope', { type: ApiKeyScopeEnum }),
    keyHint: t.exposeString('keyHint', { description: 'The last 4 characters of the key' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    project: t.relation('project', { nullable: true }),
  }),
});

const ProjectConnection = builder.connectionObject({ type: ProjectRef, name: 'ProjectConnection' });
const ApiKeyConnection = builder.connectionObject({ type: ApiKeyRef, name: 'ApiKeyConnection' });

builder.queryFields((t) => ({
  projects: t.prismaConnection(
    {
      type: 'Project',
      cursor: 'id',
      maxSize: maxPageSize,
      resolve: (query, _root, _args, ctx) => {
        requireAdmin(ctx.viewer);
        return ctx.deps.db.project.findMany({ ...query, orderBy: { id: 'desc' } });
      },
    },
    ProjectConnection,
  ),
  apiKeys: t.prismaConnection(
    {
      type: 'ApiKey',
      cursor: 'id',
      maxSize: maxPageSize,
      description: "A project's API keys, revoked ones included (newest first); only hints of the keys themselves",
      args: { projectId: t.arg.id() },
      resolve: (query, _root, args, ctx) => {
        const projectId = targetProjectId(requireApiKey(ctx.viewer), args.projectId);
        return ctx.deps.db.apiKey.findMany({ ...query, where: { projectId }, orderBy: { id: 'desc' } });
      },
    },
    ApiKeyConnection,
  ),
  project: t.prismaField({
    type: 'Project',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const row = await ctx.deps.db.project.findUnique({ ...query, where: { id } });
      return visibleProjectDataOrNotFound(ctx.viewer, 'project', id, row && { ...row, projectId: row.id });
    },
  }),
}));

builder.relayMutationField(
  'createProject',
  {
    inputFields: (t) => ({
      name: t.string({ required: true }),
      strictEventTypes: t.boolean({ description: 'Default false' }),
      delivery: t.field({
        type: ProjectDeliveryInput,
        description: "Left out (or a setting left out): the deployment's (the HOOKPOST_* environment variables)",
      }),
    }),
  },
  { resolve: (_root, { input }, ctx) => createProject(ctx.deps, ctx.viewer, input) },
  { outputFields: (t) => ({ project: t.field({ type: ProjectRef, resolve: (project) => project }) }) },
);

builder.relayMutationField(
  'updateProject',
  {
    inputFields: (t) => ({
      id: t.id({ required: true }),
      name: t.string(),
      strictEventTypes: t.boolean(),
      delivery: t.field({
        type: ProjectDeliveryInput,
        description: 'Settings left out stay as they are; the next attempt of every delivery uses the new ones',
      }),
    }),
  },
  {
    description: "Changes a project's settings (an admin key, or the project's own key)",
    resolve: (_root, { input }, ctx) => updateProject(ctx.deps, ctx.viewer, input),
  },
  { outputFields: (t) => ({ project: t.field({ type: ProjectRef, resolve: (project) => project }) }) },
);

builder.relayMutationField(
  'createApiKey',
  { inputFields: (t) => ({ projectId: t.id(), name: t.string({ required: true }) }) },
  { resolve: (_root, { input }, ctx) => createApiKey(ctx.deps, ctx.viewer, input) },
  {
    outputFields: (t) => ({
      apiKey: t.field({ type: ApiKeyRef, resolve: (r) => r.apiKey }),
      key: t.string({ description: 'The plaintext key. It is shown only here, never again.', resolve: (r) => r.key }),
    }),
  },
);

builder.relayMutationField(
  'revokeApiKey',
  { inputFields: (t) => ({ id: t.id({ required: true }) }) },
  { resolve: (_root, { input }, ctx) => revokeApiKey(ctx.deps, ctx.viewer, input.id) },
  { outputFields: (t) => ({ apiKey: t.field({ type: ApiKeyRef, resolve: (k) => k }) }) },
);
