import { targetProjectId } from '../../auth/access.ts';
import { createEventType, deleteEventType, updateEventType } from '../../services/eventTypes.ts';
import { builder, maxPageSize } from '../builder.ts';

export const EventTypeRef = builder.prismaNode('EventType', {
  id: { field: 'id' },
  nullable: true,
  description: "An entry of a project's event-type catalog",
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    schema: t.expose('schema', {
      type: 'JSON',
      nullable: true,
      description: 'JSON Schema (draft 2020-12) that published data must pass; null: any JSON object',
    }),
    example: t.expose('example', { type: 'JSON', nullable: true, description: 'Sample data; sendTestEvent sends it when given no data' }),
    deprecated: t.exposeBoolean('deprecated', { description: 'Still publishable; listed only with includeDeprecated' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    project: t.relation('project'),
  }),
});

const EventTypeConnection = builder.connectionObject({ type: EventTypeRef, name: 'EventTypeConnection' });

builder.queryFields((t) => ({
  eventTypes: t.prismaConnection(
    {
      type: 'EventType',
      cursor: 'id',
      maxSize: maxPageSize,
      description: "A project's event-type catalog, by name",
      args: { projectId: t.arg.id(), includeDeprecated: t.arg.boolean({ description: 'Default false' }) },
      resolve: (query, _root, args, ctx) => {
        const projectId = targetProjectId(ctx.viewer, args.projectId);
        return ctx.deps.db.eventType.findMany({
          ...query,
          where: { projectId, ...(args.includeDeprecated ? {} : { deprecated: false }) },
          orderBy: { name: 'asc' },
        });
      },
    },
    EventTypeConnection,
  ),
}));

const SCHEMA_DESCRIPTION = 'JSON Schema (draft 2020-12) of the data; local $refs only';

builder.relayMutationField(
  'createEventType',
  {
    inputFields: (t) => ({
      projectId: t.id(),
      name: t.string({ required: true, description: 'A dot-separated event type, e.g. "order.shipped"; unique in the project' }),
      description: t.string(),
      schema: t.field({ type: 'JSON', description: SCHEMA_DESCRIPTION }),
      example: t.field({ type: 'JSON', description: 'Sample data; must pass the schema' }),
    }),
  },
  { resolve: (_root, { input }, ctx) => createEventType(ctx.deps, ctx.viewer, input) },
  { outputFields: (t) => ({ eventType: t.field({ type: EventTypeRef, resolve: (row) => row }) }) },
);

builder.relayMutationField(
  'updateEventType',
  {
    inputFields: (t) => ({
      id: t.id({ required: true }),
      description: t.string({ description: 'null clears it' }),
      schema: t.field({ type: 'JSON', description: `${SCHEMA_DESCRIPTION}; null removes it` }),
      example: t.field({ type: 'JSON', description: 'null removes it; the example kept must pass a new schema' }),
      deprecated: t.boolean(),
    }),
  },
  { resolve: (_root, { input }, ctx) => updateEventType(ctx.deps, ctx.viewer, input) },
  { outputFields: (t) => ({ eventType: t.field({ type: EventTypeRef, resolve: (row) => row }) }) },
);

builder.relayMutationField(
  'deleteEventType',
  { inputFields: (t) => ({ id: t.id({ required: true }) }) },
  { resolve: async (_root, { input }, ctx) => ({ deletedEventTypeId: await deleteEventType(ctx.deps, ctx.viewer, input.id) }) },
  { outputFields: (t) => ({ deletedEventTypeId: t.id({ resolve: (r) => r.deletedEventTypeId }) }) },
);
