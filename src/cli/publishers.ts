// How the NDJSON events go to the API: the bulk `publishEvents` mutation where the server has it,
// else one `publishEvent` per line, many at once. Both send each line's idempotency key.
import { CliError } from './errors.ts';
import type { GraphQLClient } from './graphql.ts';
import type { NdjsonEvent, PublishBatch, Published } from './ndjson.ts';

export interface Publisher {
  mode: 'publishEvents' | 'publishEvent';
  batchSize: number;
  concurrency: number;
  publish: PublishBatch;
}

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface FieldInfo {
  name: string;
  type: TypeRef;
  args?: { name: string; type: TypeRef }[];
}

const TYPE_INFO = `query($name: String!) { __type(name: $name) {
  fields { name type { ...R } args { name type { ...R } } }
  inputFields { name type { ...R } } } }
fragment R on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`;

const named = (t: TypeRef): string | null => (t.ofType ? named(t.ofType) : t.name);
const isList = (t: TypeRef | null): boolean => !!t && (t.kind === 'LIST' || isList(t.ofType));

export function singlePublisher(gql: GraphQLClient, projectId: string | undefined, concurrency: number): Publisher {
  return {
    mode: 'publishEvent',
    batchSize: 1,
    concurrency,
    publish: (events) =>
      Promise.all(
        events.map(async (e) => {
          const { publishEvent } = await gql.request('mutation($input: PublishEventInput!) { publishEvent(input: $input) { replayed deliveryCount } }', {
            input: {
              type: e.type,
              data: e.data,
              idempotencyKey: e.idempotencyKey,
              projectId: e.projectId ?? projectId,
              tenantId: e.tenantId,
              broadcast: e.broadcast,
            },
          });
          return publishEvent as Published;
        }),
      ),
  };
}

/**
 * The bulk mutation's shape, read from the schema: `publishEvents(input: { events: [...] })` whose
 * payload lists one result per event with `replayed` (and `deliveryCount`). Null when the server has
 * no such mutation, refuses introspection, or shapes it otherwise: then events go one by one.
 */
export async function bulkPublisher(
  gql: GraphQLClient,
  projectId: string | undefined,
  concurrency: number,
  linesNameProjects: boolean,
  linesRoute = false,
): Promise<Publisher | null> {
  const typeInfo = async (name: string | null) => {
    if (!name) return null;
    const { __type } = await gql.request<{ __type: { fields: FieldInfo[] | null; inputFields: FieldInfo[] | null } | null }>(TYPE_INFO, { name });
    return __type && { fields: __type.fields ?? [], inputFields: __type.inputFields ?? [] };
  };
  let mutation: Awaited<ReturnType<typeof typeInfo>>;
  try {
    mutation = await typeInfo('Mutation');
  } catch (err) {
    if (err instanceof CliError && err.code === 'GRAPHQL_VALIDATION_FAILED') return null; // introspection turned off
    throw err;
  }
  const field = mutation?.fields.find((f) => f.name === 'publishEvents');
  const inputArg = field?.args?.find((a) => a.name === 'input');
  if (!field || !inputArg) return null;
  const input = await typeInfo(named(inputArg.type));
  const eventsField = input?.inputFields.find((f) => f.name === 'events');
  const item = eventsField && (await typeInfo(named(eventsField.type)));
  if (!item || !['type', 'data', 'idempotencyKey'].every((n) => item.inputFields.some((f) => f.name === n))) return null;
  const payload = await typeInfo(named(field.type));
  let results: { name: string; fields: string[] } | undefined;
  for (const f of payload?.fields.filter((f) => isList(f.type)) ?? []) {
    const fields = (await typeInfo(named(f.type)))?.fields.map((x) => x.name) ?? [];
    if (fields.includes('replayed')) results = { name: f.name, fields };
  }
  if (!results) return null;
  const selection = `${results.name} { replayed ${results.fields.includes('deliveryCount') ? 'deliveryCount' : ''} }`;
  const projectOnInput = input!.inputFields.some((f) => f.name === 'projectId');
  const projectOnEvent = item.inputFields.some((f) => f.name === 'projectId');
  if (linesNameProjects && !projectOnEvent) return null; // one call per project would be needed
  if (linesRoute && !item.inputFields.some((f) => f.name === 'tenantId')) return null; // let the server say it has no tenants
  const toInput = (e: NdjsonEvent) => ({
    type: e.type,
    data: e.data,
    idempotencyKey: e.idempotencyKey,
    ...(projectOnEvent && (e.projectId ?? projectId) ? { projectId: e.projectId ?? projectId } : {}),
    ...(e.tenantId !== undefined ? { tenantId: e.tenantId } : {}),
    ...(e.broadcast !== undefined ? { broadcast: e.broadcast } : {}),
  });
  return {
    mode: 'publishEvents',
    batchSize: 500,
    concurrency,
    async publish(events) {
      const { publishEvents } = await gql.request(`mutation($input: ${named(inputArg.type)}!) { publishEvents(input: $input) { ${selection} } }`, {
        input: { events: events.map(toInput), ...(projectOnInput && projectId ? { projectId } : {}) },
      });
      return (publishEvents[results!.name] as Partial<Published>[]).map((r) => ({ replayed: Boolean(r.replayed), deliveryCount: r.deliveryCount ?? 0 }));
    },
  };
}
