import { Pool } from 'undici';

export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly errors: unknown,
  ) {
    super(message);
  }
}

/** A GraphQL client over HTTP as a backend would hold one: a keep-alive pool to the API, one API key. */
export interface Gql {
  request<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

export function gqlClient(apiUrl: string, key: string, connections = 64): Gql {
  const pool = new Pool(apiUrl, { connections, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  return {
    async request(query, variables = {}) {
      const res = await pool.request({ path: '/graphql', method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      const text = await res.body.text();
      let json: { data?: any; errors?: { message: string }[] };
      try {
        json = JSON.parse(text);
      } catch {
        throw new GraphQLRequestError(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`, null);
      }
      if (json.errors?.length) throw new GraphQLRequestError(json.errors.map((e) => e.message).join('; '), json.errors);
      return json.data;
    },
    // Requests still queued (an overloaded API) are abandoned, not waited for.
    close: () => pool.destroy(),
  };
}

/** What the API under test offers; the bench uses new features only where they exist. */
export interface Features {
  /** The bulk mutation's input type as written in a variable definition, e.g. `PublishEventsInput!`. */
  publishEventsInput: string | null;
  /** Whether createWebhook takes a per-endpoint `maxConcurrency`. */
  maxConcurrency: boolean;
}

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}

function typeRefToString(t: TypeRef): string {
  if (t.kind === 'NON_NULL') return `${typeRefToString(t.ofType!)}!`;
  if (t.kind === 'LIST') return `[${typeRefToString(t.ofType!)}]`;
  return t.name!;
}

const FEATURES_QUERY = /* GraphQL */ `
  {
    mutation: __type(name: "Mutation") {
      fields { name args { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } }
    }
    webhookInput: __type(name: "CreateWebhookInput") { inputFields { name } }
  }
`;

export async function detectFeatures(gql: Gql): Promise<Features> {
  const data = await gql.request<{
    mutation: { fields: { name: string; args: { name: string; type: TypeRef }[] }[] };
    webhookInput: { inputFields: { name: string }[] };
  }>(FEATURES_QUERY);
  const bulk = data.mutation.fields.find((f) => f.name === 'publishEvents')?.args.find((a) => a.name === 'input');
  return {
    publishEventsInput: bulk ? typeRefToString(bulk.type) : null,
    maxConcurrency: data.webhookInput.inputFields.some((f) => f.name === 'maxConcurrency'),
  };
}
