// The CLI's tenant flags: webhooks created for a tenant, events published to one tenant, to every
// tenant (--broadcast) or to the project-wide webhooks only, singly and from an NDJSON file.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliJson, runCli } from '../support/cli.ts';
import { startHarness, type Harness } from '../support/harness.ts';

let h: Harness;
let env: Record<string, string>;
const hooks: Record<'acme' | 'globex' | 'wide', string> = { acme: '', globex: '', wide: '' };

beforeAll(async () => {
  h = await startHarness();
  const project = await h.createProject('CLI tenants');
  env = { HOOKPOST_URL: h.url, HOOKPOST_API_KEY: project.key };
  // No worker: what is asked of the CLI is where deliveries go, read from Postgres.
  const create = (tenant?: string) =>
    cliJson(['webhooks', 'create', '--url', 'https://receiver.example/hook', '--events', 't.*', ...(tenant ? ['--tenant', tenant] : [])], env);
  const [acme, globex, wide] = await Promise.all([create('acme'), create('globex'), create()]);
  Object.assign(hooks, { acme: acme.webhook.id, globex: globex.webhook.id, wide: wide.webhook.id });
  expect([acme.webhook.tenantId, globex.webhook.tenantId, wide.webhook.tenantId]).toEqual(['acme', 'globex', null]);
});

afterAll(async () => {
  await h?.close();
});

/** The webhooks an event's deliveries went to, by name. */
async function reached(eventId: string): Promise<string[]> {
  const rows = await h.deps.db.delivery.findMany({ where: { eventId }, select: { webhookId: true } });
  return rows.map((r) => Object.entries(hooks).find(([, id]) => id === r.webhookId)![0]).sort();
}

describe('hookpost with tenants', () => {
  it('webhooks list --tenant shows that tenant only, with a TENANT column', async () => {
    const { stdout } = await runCli(['webhooks', 'list', '--tenant', 'acme'], env);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+URL\s+EVENTS\s+TENANT\s+ACTIVE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([hooks.acme]);
    expect(stdout).toMatch(/\bacme\b/);
  });

  it('events publish --tenant, --broadcast, neither; both is BAD_USER_INPUT', async () => {
    const [forAcme, toAll, wideOnly] = await Promise.all([
      cliJson(['events', 'publish', 't.one', '--tenant', 'acme'], env),
      cliJson(['events', 'publish', 't.all', '--broadcast'], env),
      cliJson(['events', 'publish', 't.wide'], env),
    ]);
    expect(await reached(forAcme.event.id)).toEqual(['acme', 'wide']);
    expect(await reached(toAll.event.id)).toEqual(['acme', 'globex', 'wide']);
    expect(await reached(wideOnly.event.id)).toEqual(['wide']);
    const both = await runCli(['events', 'publish', 't.one', '--tenant', 'acme', '--broadcast'], env);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('BAD_USER_INPUT');
    expect(both.stderr).toContain('give --tenant or --broadcast, not both');

    const listed = await cliJson(['events', 'list', '--tenant', 'globex'], env);
    // globex's events: the broadcast it was sent (nothing was published for it alone).
    expect(listed.nodes.map((e: { id: string }) => e.id)).toEqual([toAll.event.id]);
  });

  it('events publish --ndjson: a line routes itself, the others take --tenant; a bad routing refuses the file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hookpost-cli-tenants-'));
    const file = path.join(dir, 'events.ndjson');
    await writeFile(
      file,
      [
        JSON.stringify({ type: 't.n1', data: { n: 1 }, idempotencyKey: 'n1' }),
        JSON.stringify({ type: 't.n2', data: { n: 2 }, idempotencyKey: 'n2', tenantId: 'acme' }),
        JSON.stringify({ type: 't.n3', data: { n: 3 }, idempotencyKey: 'n3', broadcast: true }),
      ].join('\n'),
    );
    const summary = await cliJson(['events', 'publish', '--ndjson', file, '--tenant', 'globex'], env);
    expect(summary).toMatchObject({ lines: 3, published: 3, mode: 'publishEvents' });
    const events = await h.deps.db.event.findMany({ where: { type: { in: ['t.n1', 't.n2', 't.n3'] } }, orderBy: { type: 'asc' } });
    expect(await Promise.all(events.map((e) => reached(e.id)))).toEqual([
      ['globex', 'wide'],
      ['acme', 'wide'],
      ['acme', 'globex', 'wide'],
    ]);

    const bad = path.join(dir, 'bad.ndjson');
    await writeFile(bad, [JSON.stringify({ type: 't.x', tenantId: 'acme', broadcast: true }), JSON.stringify({ type: 't.y', tenantId: 7 })].join('\n'));
    const refused = await runCli(['events', 'publish', '--ndjson', bad], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('line 1: give "tenantId" or "broadcast": true, not both');
    expect(refused.stderr).toContain('line 2: "tenantId" must be a non-empty string');
  });
});
