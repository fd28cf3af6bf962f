import { requireViewer, tenantFilter } from '../../auth/access.ts';
import { attemptStats, type AttemptStats, backlog, STATS_WINDOWS_MS } from '../../services/stats.ts';
import { parseTenantId } from '../../services/tenants.ts';
import { builder } from '../builder.ts';
import { ProjectRef } from './project.ts';
import { WebhookRef } from './webhook.ts';

const StatsWindowEnum = builder.enumType('StatsWindow', {
  values: Object.fromEntries(Object.keys(STATS_WINDOWS_MS).map((w) => [w, {}])) as Record<keyof typeof STATS_WINDOWS_MS, object>,
});

interface ProjectStats extends AttemptStats {
  projectId: string;
  tenantId: string | null;
}

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** The fields both stats types share, so that a webhook's and a project's read the same. */
function statsFields<T extends AttemptStats>(t: PothosSchemaTypes.ObjectFieldBuilder<Types, T>) {
  return {
    total: t.int({ description: 'Attempts made in the window', resolve: (s) => s.total }),
    succeeded: t.int({ resolve: (s) => s.succeeded }),
    failed: t.int({ resolve: (s) => s.failed }),
    successRate: t.float({ nullable: true, description: 'succeeded / total, 0..1; null without attempts', resolve: (s) => s.successRate }),
    p50LatencyMs: t.float({ nullable: true, description: 'Median attempt duration', resolve: (s) => s.p50LatencyMs }),
    p95LatencyMs: t.float({ nullable: true, resolve: (s) => s.p95LatencyMs }),
    lastSuccessAt: t.field({ type: 'DateTime', nullable: true, description: 'Latest successful attempt in the window', resolve: (s) => s.lastSuccessAt }),
    lastFailureAt: t.field({ type: 'DateTime', nullable: true, description: 'Latest failed attempt in the window', resolve: (s) => s.lastFailureAt }),
  };
}

const DeliveryStatsRef = builder.objectRef<AttemptStats>('DeliveryStats').implement({
  description: 'Delivery attempts made in a window',
  fields: (t) => statsFields(t),
});

const ProjectStatsRef = builder.objectRef<ProjectStats>('ProjectStats').implement({
  description: "The project's delivery attempts in a window, and its deliveries still open",
  fields: (t) => ({
    ...statsFields(t),
    backlog: t.int({
      description: 'Deliveries not settled yet: pending, retrying, and held while their webhook is disabled (now, not per window)',
      resolve: (s, _args, ctx) => backlog(ctx.deps.db, s.projectId, s.tenantId),
    }),
  }),
});

builder.objectField(WebhookRef, 'stats', (t) =>
  t.field({
    type: DeliveryStatsRef,
    args: { window: t.arg({ type: StatsWindowEnum, required: true }) },
    resolve: (webhook, { window }, ctx) => {
      requireViewer(ctx.viewer);
      return attemptStats(ctx.deps.db, { webhookId: webhook.id }, window);
    },
  }),
);

builder.objectField(ProjectRef, 'stats', (t) =>
  t.field({
    type: ProjectStatsRef,
    args: {
      window: t.arg({ type: StatsWindowEnum, required: true }),
      tenantId: t.arg.string({ description: "Only the attempts and backlog of this tenant's webhooks" }),
    },
    resolve: async (project, args, ctx) => {
      requireViewer(ctx.viewer);
      const tenantId = tenantFilter(ctx.viewer, parseTenantId(args.tenantId)) ?? null;
      return { ...(await attemptStats(ctx.deps.db, { projectId: project.id, tenantId }, args.window)), projectId: project.id, tenantId };
    },
  }),
);
