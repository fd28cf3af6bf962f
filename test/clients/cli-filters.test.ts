// `hookpost webhooks create|update --filter`: the CLI passes the filter through and shows it; a
// refused filter exits with the API's message.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cliJson, runCli } from '../support/cli.ts';
import { startHarness, type Harness } from '../support/harness.ts';

let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
  h = await startHarness();
  const { key } = await h.createProject('CLI filters');
  env = { HOOKPOST_URL: h.url, HOOKPOST_API_KEY: key };
});
afterAll(() => h.close());

it('sets, shows, replaces and clears a filter; refuses a bad one', async () => {
  const filter = { 'data.violation.severity': { $in: ['HIGH', 'CRITICAL'] } };
  const created = await cliJson(['webhooks', 'create', '--url', 'https://x.example/hook', '--events', 'policy.*', '--filter', JSON.stringify(filter)], env);
  const id = created.webhook.id;
  expect(created.webhook.filter).toEqual(filter);
  expect((await h.deps.db.webhook.findUniqueOrThrow({ where: { id } })).filter).toEqual(filter);

  const shown = await runCli(['webhooks', 'get', id], env);
  expect(shown.stdout).toMatch(/filter\s+\{"data\.violation\.severity":\{"\$in":\["HIGH","CRITICAL"\]\}\}/);

  const updated = await cliJson(['webhooks', 'update', id, '--filter', '{"type":"policy.violation.created"}'], env);
  expect(updated.filter).toEqual({ type: 'policy.violation.created' });
  expect((await cliJson(['webhooks', 'update', id, '--filter', 'null'], env)).filter).toBeNull();

  const refused = await runCli(['webhooks', 'update', id, '--filter', '{"$where":"true"}'], env);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/unknown operator \$where/);
  const notJson = await runCli(['webhooks', 'update', id, '--filter', '{bad'], env);
  expect(notJson.code).not.toBe(0);
  expect(notJson.stderr).toMatch(/--filter: not valid JSON/);
  expect((await h.deps.db.webhook.findUniqueOrThrow({ where: { id } })).filter).toBeNull();
});
