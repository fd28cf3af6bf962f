import { randomBytes } from 'node:crypto';
import { onTestFinished } from 'vitest';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { buildApp, type App } from '../../src/api/app.ts';
import type { Config, Env } from '../../src/core/config.ts';
import { createCoreDeps, type CoreDeps } from '../../src/core/deps.ts';
import { withTimeout } from '../../src/core/withTimeout.ts';
import { createDeliveryWorker, type DeliveryWorker } from '../../worker/deliveryWorker.ts';
import { createTestDatabase, dropTestDatabase } from './database.ts';
import { waitUntil } from './wait.ts';
import { TEST_ADMIN_KEY, testConfig } from './env.ts';
import { DELIVERIES } from './operations.ts';

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[];
}

export interface Harness {
  config: Config;
  deps: CoreDeps;
  app: App;
  url: string;
  databaseName: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<GraphQLResponse<T>>;
  /** Like gql, but fails the test on any GraphQL error. */
  ok<T = any>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<T>;
  wsClient(key?: string | null, extra?: Partial<Parameters<typeof createClient>[0]>): Client;
  /**
   * Polls the `deliveries` query until the newest delivery of `filter` passes `until` (a status, or a
   * test of the delivery node with its attempts) and returns that node.
   */
  waitForDelivery(filter: DeliveryFilter, until: string | ((delivery: any) => boolean), key?: string | null, timeoutMs?: number): Promise<any>;
  startWorker(opts?: Parameters<typeof createDeliveryWorker>[1]): DeliveryWorker;
  createProject(name?: string): Promise<{ projectId: string; key: string }>;
  close(): Promise<void>;
}

export interface DeliveryFilter {
  eventId?: string;
  webhookId?: string;
}

export async function startHarness(overrides: Env = {}): Promise<Harness> {
  const databaseName = await createTestDatabase();
  const redisPrefix = `hookpost-test-${randomBytes(4).toString('hex')}`;
  const config = testConfig(databaseName, redisPrefix, overrides);
  const deps = await createCoreDeps(config);
  const app = buildApp(deps);
  const url = await app.listen(0, '127.0.0.1');
  const workers: DeliveryWorker[] = [];
  const clients: Client[] = [];

  const gql: Harness['gql'] = async (query, variables = {}, key = TEST_ADMIN_KEY) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GraphQLResponse;
  };
  const ok: Harness['ok'] = async (query, variables, key) => {
    const res = await gql(query, variables, key);
    if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
    return res.data;
  };

  return {
    config,
    deps,
    app,
    url,
    databaseName,
    gql,
    ok,
    wsClient(key = TEST_ADMIN_KEY, extra = {}) {
      const client = createClient({
        url: `${url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: key ? { authorization: `Bearer ${key}` } : {},
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => {},
        ...extra,
      });
      clients.push(client);
      return client;
    },
    async waitForDelivery(filter, until, key = TEST_ADMIN_KEY, timeoutMs = 15_000) {
      const passes = typeof until === 'string' ? (d: any) => d.status === until : until;
      let last: any;
      return waitUntil(
        async () => {
          last = (await ok(DELIVERIES, { ...filter }, key)).deliveries.edges[0]?.node;
          return last && passes(last) ? last : undefined;
        },
        timeoutMs,
        () =>
          `the delivery of ${JSON.stringify(filter)} to be ${typeof until === 'string' ? until : 'as expected'}; last seen: ${last ? `${last.status} after ${last.attemptCount} attempts` : 'none'}`,
      );
    },
    startWorker(opts) {
      const worker = createDeliveryWorker(deps, opts);
      workers.push(worker);
      return worker;
    },
    async createProject(name = 'Test project') {
      const { createProject } = await ok(`mutation($name: String!) { createProject(input: { name: $name }) { project { id } } }`, { name });
      const projectId = createProject.project.id as string;
      const { createApiKey } = await ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "test" }) { key } }`, { p: projectId });
      return { projectId, key: createApiKey.key as string };
    },
    async close() {
      await Promise.all(clients.map((c) => c.dispose()));
      // As a worker process's stop has a deadline (HOOKPOST_SHUTDOWN_TIMEOUT_MS), so does the harness's:
      // a close stuck on a Redis that was restarted under it must not hang the suite.
      await Promise.all(
        workers.map((w) => withTimeout(w.close(), 15_000, 'closing a worker').catch((err) => console.warn(`harness: ${(err as Error).message}`))),
      );
      await app.close();
      await deps.queue.obliterate().catch(() => {});
      await deps.close();
      await dropTestDatabase(databaseName);
    },
  };
}

/**
 * A second API process beside the harness's: its own connections to the same Postgres and Redis, its
 * own caches. Returns its URL; it is closed when the test finishes.
 */
export async function startReplica(h: Harness): Promise<string> {
  const replicaDeps = await createCoreDeps(h.config);
  const replica = buildApp(replicaDeps);
  const url = await replica.listen(0);
  onTestFinished(async () => {
    await replica.close();
    await replicaDeps.close();
  });
  return url;
}
