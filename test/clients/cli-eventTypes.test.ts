// `hookpost event-types list` as a user runs it: the package's bin against a live API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY } from '../support/env.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { cliJson, runCli } from '../support/cli.ts';

let h: Harness;
let p: { projectId: string; key: string };

beforeAll(async () => {
  h = await startHarness();
  p = await h.createProject('CLI catalog');
  const create = `mutation($input: CreateEventTypeInput!) { createEventType(input: $input) { eventType { id } } }`;
  await h.ok(create, { input: { name: 'order.shipped', description: 'Left the warehouse', schema: { type: 'object' }, example: { orderId: 'ord_1' } } }, p.key);
  const old = (await h.ok(create, { input: { name: 'order.sent' } }, p.key)).createEventType.eventType.id;
  await h.ok(`mutation($id: ID!) { updateEventType(input: { id: $id, deprecated: true }) { eventType { id } } }`, { id: old }, p.key);
});
afterAll(() => h.close());

describe('hookpost event-types list', () => {
  it('prints the catalog by name, deprecated types only on request, schemas and examples in --json', async () => {
    const env = { HOOKPOST_URL: h.url, HOOKPOST_API_KEY: p.key };
    const shown = await runCli(['event-types', 'list'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^ID\s+NAME\s+SCHEMA\s+DEPRECATED\s+DESCRIPTION$/m);
    expect(shown.stdout).toMatch(/ety_\w+\s+order\.shipped\s+yes\s+no\s+Left the warehouse/);
    expect(shown.stdout).not.toContain('order.sent');

    const all = await cliJson(['event-types', 'list', '--deprecated'], env);
    expect(all.nodes.map((t: { name: string }) => t.name)).toEqual(['order.sent', 'order.shipped']);
    expect(all.nodes[1]).toMatchObject({ schema: { type: 'object' }, example: { orderId: 'ord_1' }, deprecated: false });

    const asAdmin = await cliJson(['event-types', 'list', '--project', p.projectId, '--first', '1'], { HOOKPOST_URL: h.url, HOOKPOST_API_KEY: TEST_ADMIN_KEY });
    expect(asAdmin.nodes.map((t: { name: string }) => t.name)).toEqual(['order.shipped']);
    const noProject = await runCli(['event-types', 'list'], { HOOKPOST_URL: h.url, HOOKPOST_API_KEY: TEST_ADMIN_KEY });
    expect(noProject.code).toBe(1);
    expect(noProject.stderr).toMatch(/\[BAD_USER_INPUT\] eventTypes\(projectId\): projectId is required/);
  });
});
