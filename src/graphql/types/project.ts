import { z } from 'zod';
import { requireAdmin, requireViewer, targetProjectId } from '../../auth/access.ts';
import { generateApiKey } from '../../auth/apiKeys.ts';
import { newId } from '../../ids.ts';
import { visibleOrNotFound } from '../../services/access.ts';
import { parseInput } from '../../services/validation.ts';
import { notFound } from '../../errors.ts';
import { builder, maxPageSize } from '../builder.ts';

const name = z.object({ name: z.string().trim().min(1, 'must not be empty').max(200) });

export const ProjectRef = builder.prismaNode('Project', {
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    name: t.exposeString('name'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
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
  projects: t.prismaConnection({
    type: 'Project',
    cursor: 'id',
    maxSize: maxPageSize,
    resolve: (query, _root, _args, ctx) => {
      requireAdmin(ctx.viewer);
      return ctx.deps.db.project.findMany({ ...query, orderBy: { id: 'desc' } });
    },
  }, ProjectConnection),
  apiKeys: t.prismaConnection(
    {
      type: 'ApiKey',
      cursor: 'id',
      maxSize: maxPageSize,
      description: "A project's API keys, revoked ones included (newest first); only hints of the keys themselves",
      args: { projectId: t.arg.id() },
      resolve: (query, _root, args, ctx) => {
        const projectId = targetProjectId(ctx.viewer, args.projectId);
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
      return visibleOrNotFound(ctx.viewer, 'project', id, row && { ...row, projectId: row.id });
    },
  }),
}));

builder.relayMutationField(
  'createProject',
  { inputFields: (t) => ({ name: t.string({ required: true }) }) },
  {
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx.viewer);
      const { name: projectName } = parseInput(name, input);
      return ctx.deps.db.project.create({ data: { id: newId('Project'), name: projectName } });
    },
  },
  { outputFields: (t) => ({ project: t.field({ type: ProjectRef, resolve: (project) => project }) }) },
);

builder.relayMutationField(
  'createApiKey',
  { inputFields: (t) => ({ projectId: t.id(), name: t.string({ required: true }) }) },
  {
    resolve: async (_root, { input }, ctx) => {
      const projectId = targetProjectId(ctx.viewer, input.projectId);
      const { name: keyName } = parseInput(name, input);
      const project = await ctx.deps.db.project.findUnique({ where: { id: projectId }, select: { id: true } });
      if (!project) throw notFound('project', projectId);
      const { key, keyHash, keyHint } = generateApiKey();
      const apiKey = await ctx.deps.db.apiKey.create({
        data: { id: newId('ApiKey'), name: keyName, scope: 'PROJECT', projectId, keyHash, keyHint },
      });
      return { apiKey, key };
    },
  },
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
  {
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      const row = await ctx.deps.db.apiKey.findUnique({ where: { id: input.id } });
      // Admin keys have no project, so only another admin key gets past this.
      if (!row || (viewer.scope === 'PROJECT' && row.projectId !== viewer.projectId)) {
        throw notFound('API key', input.id);
      }
      const apiKey = await ctx.deps.db.apiKey.update({
        where: { id: input.id },
        data: { revokedAt: row.revokedAt ?? new Date() },
      });
      ctx.deps.broadcaster.publish('apiKeyRevoked', { keyId: apiKey.id });
      return apiKey;
    },
  },
  { outputFields: (t) => ({ apiKey: t.field({ type: ApiKeyRef, resolve: (k) => k }) }) },
);
