import type { Viewer } from '../../auth/apiKeys.ts';
import { requireViewer } from '../../auth/access.ts';
import { builder } from '../builder.ts';
import { ApiKeyScopeEnum, ProjectRef } from './project.ts';

const ViewerRef = builder.objectRef<Viewer>('Viewer').implement({
  description: 'The API key a request was made with, and what it can see',
  fields: (t) => ({
    scope: t.field({ type: ApiKeyScopeEnum, description: 'ADMIN: every project; PROJECT: its own only', resolve: (v) => v.scope }),
    project: t.field({
      type: ProjectRef,
      nullable: true,
      description: "A project key's project; null for an admin key",
      resolve: (v, _args, ctx) => (v.scope === 'PROJECT' ? ctx.deps.db.project.findUnique({ where: { id: v.projectId } }) : null),
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({ type: ViewerRef, resolve: (_root, _args, ctx) => requireViewer(ctx.viewer) }),
);
