import type { Viewer } from '../../auth/apiKeys.ts';
import { requireViewer } from '../../auth/access.ts';
import { builder } from '../builder.ts';
import { ProjectRef } from './project.ts';

const ViewerScopeEnum = builder.enumType('ViewerScope', {
  values: {
    ADMIN: { description: 'An admin key: every project' },
    PROJECT: { description: 'A project key: its own project' },
    TENANT: { description: "A tenant token: one tenant's webhooks, events and deliveries in one project" },
  } as const,
});

const ViewerRef = builder.objectRef<Viewer>('Viewer').implement({
  description: 'The API key or tenant token a request was made with, and what it can see',
  fields: (t) => ({
    scope: t.field({ type: ViewerScopeEnum, resolve: (v) => v.scope }),
    project: t.field({
      type: ProjectRef,
      nullable: true,
      description: "A project key's or tenant token's project; null for an admin key",
      resolve: (v, _args, ctx) => (v.scope === 'ADMIN' ? null : ctx.deps.db.project.findUnique({ where: { id: v.projectId } })),
    }),
    tenantId: t.string({
      nullable: true,
      description: "A tenant token's tenant; null for API keys",
      resolve: (v) => (v.scope === 'TENANT' ? v.tenantId : null),
    }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When a tenant token expires; null for API keys',
      resolve: (v) => (v.scope === 'TENANT' ? v.expiresAt : null),
    }),
  }),
});

builder.queryField('viewer', (t) => t.field({ type: ViewerRef, resolve: (_root, _args, ctx) => requireViewer(ctx.viewer) }));
