import { now } from './clock.ts';
import type { Stack } from './stack.ts';
import { round, summarize, type Summary } from './stats.ts';

/** The reads a dashboard makes, as GraphQL, with the SQL they come down to (for EXPLAIN). */
export interface ReadPath {
  name: string;
  label: string;
  query: string;
  variables: Record<string, unknown>;
  sql: { text: string; params: unknown[] }[];
}

export function dashboardReads(projectId: string, webhookId: string, deliveryId: string): ReadPath[] {
  return [
    {
      name: 'webhookDeliveries',
      label: "a webhook's latest 20 deliveries",
      query: `query($w: ID!) { deliveries(webhookId: $w, first: 20) { edges { node { id status attemptCount createdAt event { id type } } } pageInfo { hasNextPage endCursor } } }`,
      variables: { w: webhookId },
      sql: [{ text: 'SELECT * FROM deliveries WHERE project_id = $1 AND webhook_id = $2 ORDER BY id DESC LIMIT 21', params: [projectId, webhookId] }],
    },
    {
      name: 'deadLetters',
      label: 'the dead-letter list (FAILED, first 20)',
      query: `{ deliveries(status: FAILED, first: 20) { edges { node { id status attemptCount updatedAt webhook { id } event { id type } } } pageInfo { hasNextPage endCursor } } }`,
      variables: {},
      sql: [{ text: `SELECT * FROM deliveries WHERE project_id = $1 AND status = 'FAILED' ORDER BY id DESC LIMIT 21`, params: [projectId] }],
    },
    {
      name: 'deliveryWithAttempts',
      label: 'a delivery with its attempts',
      query: `query($id: ID!) { delivery(id: $id) { id status attemptCount event { id type data } webhook { id url }
        attempts(first: 20) { edges { node { id attemptNumber responseStatus durationMs error succeeded createdAt } } } } }`,
      variables: { id: deliveryId },
      sql: [
        { text: 'SELECT * FROM deliveries WHERE id = $1', params: [deliveryId] },
        { text: 'SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id DESC LIMIT 21', params: [deliveryId] },
      ],
    },
  ];
}

/** Round trips of `runs` sequential requests, after a few unmeasured ones. */
export async function timeRead(stack: Stack, read: ReadPath, runs: number): Promise<Summary> {
  for (let i = 0; i < 3; i++) await stack.gql.request(read.query, read.variables);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = now();
    await stack.gql.request(read.query, read.variables);
    times.push(round(now() - started, 2));
  }
  return summarize(times);
}

export interface Plan {
  sql: string;
  plan: string;
  /** Every relation is reached through an index (no sequential scan). */
  indexed: boolean;
}

export async function explain(stack: Stack, read: ReadPath): Promise<Plan[]> {
  const plans: Plan[] = [];
  for (const { text, params } of read.sql) {
    const { rows } = await stack.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${text}`, params);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    plans.push({ sql: text, plan, indexed: /Index (Only )?Scan/.test(plan) && !/Seq Scan/.test(plan) });
  }
  return plans;
}
