import { randomBytes } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { buildApp, type App } from '../../src/api/app.ts';
import type { Config, Env } from '../../src/core/config.ts';
import { createCoreDeps, type CoreDeps } from '../../src/core/deps.ts';
import { createDeliveryWorker, type DeliveryWorker } from '../../worker/deliveryWorker.ts';
import type { Topics } from '../../src/core/broadcaster.ts';
import { createTestDatabase, dropTestDatabase } from './database.ts';
import { waitUntil } from './wait.ts';
import { TEST_ADMIN_KEY, testConfig } from './env.ts';

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
  /** Redis SUBSCRIBE is asynchronous: resolves once this deployment listens on `topic`. */
  waitForSubscriber(topic: keyof Topics): Promise<void>;
  startWorker(opts?: Parameters<typeof createDeliveryWorker>[1]): DeliveryWorker;
  createProject(name?: string): Promise<{ projectId: string; key: string }>;
  close(): Promise<void>;
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
    async waitForSubscriber(topic) {
      const channel = `${config.redisPrefix}:${topic}`;
      await waitUntil(async () => {
        const [, count] = (await deps.redis.pubsub('NUMSUB', channel)) as [string, number];
        return Number(count) > 0;
      }, 5000, `a subscriber on ${channel}`);
    },
    startWorker(opts) {
      const worker = createDeliveryWorker(deps, opts);
      workers.push(worker);
      return worker;
    },
    async createProject(name = 'Test project') {
      const { createProject } = await ok(`mutation($name: String!) { createProject(input: { name: $name }) { project { id } } }`, { name });
      const projectId = createProject.project.id as string;
      const { createApiKey } = await ok(
        `mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "test" }) { key } }`,
        { p: projectId },
      );
      return { projectId, key: createApiKey.key as string };
    },
    async close() {
      await Promise.all(clients.map((c) => c.dispose()));
      await Promise.all(workers.map((w) => w.close()));
      await app.close();
      await deps.queue.obliterate().catch(() => {});
      await deps.close();
      await dropTestDatabase(databaseName);
    },
  };
}
