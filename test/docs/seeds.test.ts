// docs/seeds.md, run as written: each product's section's JSON blocks against a receiver running
// that product's documented signature check (test/fixtures/seedBrands.ts), all in one Hookpost.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { brand } from '../fixtures/seedBrands.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

type Json = Record<string, unknown>;
interface Section {
  name: string;
  blocks: { kind: string; value: Json }[];
}

/** The page's `## Name` sections and, in each, its ```json <kind> blocks. */
function readSections(page: string): Section[] {
  return page
    .split(/\n## /)
    .slice(1)
    .map((part) => ({
      name: part.slice(0, part.indexOf('\n')).trim(),
      blocks: [...part.matchAll(/```json ([a-z ,]+)\n([\s\S]*?)```/g)].map((m) => ({ kind: m[1].trim(), value: JSON.parse(m[2]) as Json })),
    }));
}

const page = await readFile(path.resolve(import.meta.dirname, '../../docs/seeds.md'), 'utf8');
const sections = readSections(page);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.startWorker();
});
afterAll(() => h.close());

it('has a section for each of the five seed products, each with its settings, a webhook and an event', () => {
  expect(sections.map((s) => s.name)).toEqual(['RegPilot', 'de.iterate', 'Regen Therapy', 'PolicyCortex', 'ComplianceLayer']);
  for (const s of sections) expect(s.blocks.map((b) => b.kind)).toEqual(expect.arrayContaining(['delivery', 'webhook', 'publish']));
});

describe.each(sections)('docs/seeds.md: $name', (section) => {
  it('runs as written: every published event is accepted by the receiver code of its doc, and what is filtered out never arrives', async () => {
    const seed = brand(section.name);
    const block = (kind: string) => section.blocks.filter((b) => b.kind === kind).map((b) => b.value);
    const { createProject } = await h.ok(
      `mutation($n: String!, $d: ProjectDeliveryInput) { createProject(input: { name: $n, delivery: $d }) { project { id } } }`,
      {
        n: section.name,
        d: block('delivery')[0],
      },
    );
    const { createApiKey } = await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "docs" }) { key } }`, { p: createProject.project.id });
    const key = createApiKey.key as string;
    for (const input of block('event type'))
      await h.ok(`mutation($i: CreateEventTypeInput!) { createEventType(input: $i) { eventType { name } } }`, { i: input }, key);

    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    let secret = '';
    receiver.respondWith((req, res) => (seed.accepts(req, secret) ? res.writeHead(200).end('OK') : res.writeHead(401).end('Invalid signature')));
    const { createWebhook } = await h.ok(
      `mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { secret webhook { id } } }`,
      { i: { ...block('webhook')[0], url: receiver.url } },
      key,
    );
    secret = createWebhook.secret;
    const webhookId = createWebhook.webhook.id as string;

    const expected: string[] = [];
    for (const input of block('publish')) expected.push((await h.ok(PUBLISH_EVENT, { input }, key)).publishEvent.event.id);
    for (const input of block('publish, filtered out')) expect((await h.ok(PUBLISH_EVENT, { input }, key)).publishEvent.deliveryCount).toBe(0);
    for (const input of block('test event')) {
      const { sendTestEvent } = await h.ok(
        `mutation($i: SendTestEventInput!) { sendTestEvent(input: $i) { delivery { event { id data } } } }`,
        { i: { webhookId, ...input } },
        key,
      );
      const data = sendTestEvent.delivery.event.data;
      expect(data.test).toBe(true);
      // Without data, the catalog's example for the type (when it has one).
      const example = block('event type').find((t) => t.name === input.eventType)?.example;
      expect(data).toEqual({ ...((input.data as Json | undefined) ?? example ?? data), test: true });
      expected.push(sendTestEvent.delivery.event.id);
    }

    await receiver.waitFor(expected.length);
    await waitUntil(
      async () => (await h.deps.db.delivery.count({ where: { webhookId, status: 'SUCCEEDED' } })) === expected.length,
      15_000,
      `every delivery of ${section.name} accepted by its receiver`,
    );
    expect(receiver.requests.map((r) => JSON.parse(r.body).id).sort()).toEqual([...expected].sort());
    for (const req of receiver.requests) expect(Object.keys(JSON.parse(req.body))).toEqual(seed.envelopeKeys);
    const given = block('webhook')[0];
    if (given.headers) for (const [name, value] of Object.entries(given.headers)) expect(receiver.requests[0].headers[name.toLowerCase()]).toBe(value);
    const userAgent = block('delivery')[0].userAgent;
    if (userAgent) expect(new Set(receiver.requests.map((r) => r.headers['user-agent']))).toEqual(new Set([userAgent]));
  });
});
