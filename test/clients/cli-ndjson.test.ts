// `hookpost events publish --ndjson`: 1,000 events from a file, every one delivered; the same file
// again publishes nothing new; a failure half-way resumes; the bulk mutation is used where it exists.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { runCli } from '../support/cli.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

let h: Harness;
let receiver: Receiver;
let env: Record<string, string>;
let projectId: string;
let dir: string;

beforeAll(async () => {
  h = await startHarness();
  h.startWorker();
  receiver = await startReceiver();
  const project = await h.createProject('NDJSON');
  projectId = project.projectId;
  env = { HOOKPOST_URL: h.url, HOOKPOST_API_KEY: project.key };
  await h.ok(
    'mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { webhook { id } } }',
    { i: { url: receiver.url, events: ['order.*'] } },
    project.key,
  );
  dir = await mkdtemp(path.join(tmpdir(), 'hookpost-ndjson-'));
});

afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

async function file(name: string, lines: string[]): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, `${lines.join('\n')}\n`);
  return p;
}

const eventCount = () => h.deps.db.event.count({ where: { projectId } });

describe('events publish --ndjson', () => {
  it('publishes 1,000 events, all delivered; running the same file again publishes nothing new', { timeout: 180_000 }, async () => {
    const lines = Array.from({ length: 1000 }, (_, i) =>
      JSON.stringify(i === 41 ? { type: 'order.created', data: { n: i }, idempotencyKey: 'my-own-key' } : { type: 'order.created', data: { n: i } }),
    );
    const events = await file('events.ndjson', lines);
    const first = await runCli(['events', 'publish', '--ndjson', events, '--json'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ lines: 1000, published: 1000, replayed: 0, deliveries: 1000, remaining: 0 });
    expect(['publishEvent', 'publishEvents']).toContain(summary.mode);
    const sha = createHash('sha256')
      .update(`${lines.join('\n')}\n`)
      .digest('hex');
    expect(summary.keyPrefix).toBe(`ndjson:${sha}`);

    const received = await receiver.waitFor(1000, 120_000);
    const stored = await h.deps.db.event.findMany({ where: { projectId }, select: { id: true, idempotencyKey: true, data: true } });
    expect(new Set(received.map((r) => JSON.parse(r.body).id))).toEqual(new Set(stored.map((e) => e.id)));
    expect(stored.map((e) => (e.data as { n: number }).n).sort((a, b) => a - b)).toEqual([...Array(1000).keys()]);
    expect(stored.find((e) => (e.data as { n: number }).n === 41)!.idempotencyKey).toBe('my-own-key');
    expect(stored.find((e) => (e.data as { n: number }).n === 0)!.idempotencyKey).toBe(`ndjson:${sha}:1`);
    await waitUntil(async () => (await h.deps.db.delivery.count({ where: { projectId, status: 'SUCCEEDED' } })) === 1000, 30_000, 'every delivery to succeed');

    const again = await runCli(['events', 'publish', '--ndjson', events], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/published\s+0 new events, 0 deliveries/);
    expect(again.stdout).toMatch(/replayed\s+1000 \(already published/);
    expect(await eventCount()).toBe(1000);
    expect(await h.deps.db.delivery.count({ where: { projectId } })).toBe(1000);
  });

  it('stops at a line the API refuses, and resumes with the printed key prefix once the line is fixed', async () => {
    const before = await eventCount();
    // Published 500 a call: the first call goes through, the second is refused whole for its line 520.
    const lines = Array.from({ length: 600 }, (_, i) => JSON.stringify({ type: i === 519 ? 'Not A Type' : 'order.resumed', data: { n: i } }));
    const broken = await file('broken.ndjson', lines);
    const failed = await runCli(['events', 'publish', '--ndjson', broken, '--concurrency', '1', '--json'], env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^hookpost: \[BAD_USER_INPUT\] line 520: /);
    const partial = JSON.parse(failed.stdout);
    expect(partial).toMatchObject({ published: 500, remaining: 100, failure: { line: 520, code: 'BAD_USER_INPUT' } });
    expect(await eventCount()).toBe(before + 500);

    lines[519] = JSON.stringify({ type: 'order.resumed', data: { n: 519 } });
    const fixed = await file('broken.ndjson', lines); // an edited file hashes differently: keep the old prefix
    const resumed = await runCli(['events', 'publish', '--ndjson', fixed, '--key-prefix', partial.keyPrefix, '--json'], env);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ published: 100, replayed: 500, remaining: 0 });
    expect(await eventCount()).toBe(before + 600);
  });

  it('refuses a file with a bad line before publishing anything', async () => {
    const before = await eventCount();
    const bad = await file('bad.ndjson', ['{"type":"order.a","data":{}}', '', '{"type":"order.b","data":{}', '{"type":"order.c","payload":{}}']);
    const res = await runCli(['events', 'publish', '--ndjson', bad], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('[BAD_USER_INPUT] line 3: not JSON');
    expect(res.stderr).toContain('line 4: unknown key "payload"');
    expect(await eventCount()).toBe(before);
  });

  it('uses the bulk publishEvents mutation where the server has it, with the same idempotency keys', async () => {
    // A stand-in server with the bulk mutation, remembering keys as Hookpost does.
    const seen = new Set<string>();
    const calls: { events: { type: string; idempotencyKey: string }[] }[] = [];
    const yoga = createYoga({
      logging: false,
      schema: createSchema({
        typeDefs: /* GraphQL */ `
          scalar JSON
          input PublishEventInput { type: String! data: JSON! idempotencyKey: String projectId: ID }
          input PublishEventsInput { events: [PublishEventInput!]! projectId: ID }
          type PublishEventResult { replayed: Boolean! deliveryCount: Int! }
          type PublishEventsPayload { results: [PublishEventResult!]! }
          type Query { ok: Boolean }
          type Mutation { publishEvents(input: PublishEventsInput!): PublishEventsPayload! }
        `,
        resolvers: {
          Mutation: {
            publishEvents: (_: unknown, { input }: { input: (typeof calls)[number] }) => {
              calls.push(input);
              return {
                results: input.events.map((e) => {
                  const replayed = seen.has(e.idempotencyKey);
                  seen.add(e.idempotencyKey);
                  return { replayed, deliveryCount: replayed ? 0 : 2 };
                }),
              };
            },
          },
        },
      }),
    });
    const server: Server = createServer(yoga);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const stub = { HOOKPOST_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, HOOKPOST_API_KEY: 'hpk_stub' };
      const events = await file(
        'bulk.ndjson',
        Array.from({ length: 1200 }, (_, i) => JSON.stringify({ type: 'order.bulk', data: { i } })),
      );
      const first = JSON.parse((await runCli(['events', 'publish', '--ndjson', events, '--json'], stub)).stdout);
      expect(first).toMatchObject({ mode: 'publishEvents', published: 1200, deliveries: 2400, replayed: 0 });
      // Batches go out concurrently, so they may arrive in any order.
      expect(calls.map((c) => c.events.length).sort((a, b) => b - a)).toEqual([500, 500, 200]);
      const firstBatch = calls.find((c) => c.events[0].idempotencyKey === `${first.keyPrefix}:1`);
      expect(firstBatch?.events).toHaveLength(500);
      const second = JSON.parse((await runCli(['events', 'publish', '--ndjson', events, '--json'], stub)).stdout);
      expect(second).toMatchObject({ mode: 'publishEvents', published: 0, replayed: 1200 });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
