// The `hookpost` CLI as a user runs it: a child process (the package's bin) against a live API with a
// worker and real receivers. Independent commands run side by side to keep the file quick.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY } from '../support/env.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { cliJson, runCli, spawnCli } from '../support/cli.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

let h: Harness;
let receiver: Receiver;
let failing: Receiver;
let admin: Record<string, string>;
let env: Record<string, string>; // a project key's environment, set up by the first test
let projectId: string;
let webhookId: string;

beforeAll(async () => {
  h = await startHarness();
  h.startWorker();
  receiver = await startReceiver();
  failing = await startReceiver();
  failing.respondWith((_req, res) => res.writeHead(500).end('down'));
  admin = { HOOKPOST_URL: h.url, HOOKPOST_API_KEY: TEST_ADMIN_KEY };
});

afterAll(async () => {
  await h?.close();
  await receiver?.close();
  await failing?.close();
});

const deliveriesOf = (whk: string) => h.deps.db.delivery.findMany({ where: { webhookId: whk }, include: { event: true }, orderBy: { id: 'asc' } });

describe('hookpost', () => {
  it('npx hookpost --help (the package bin) documents every command, the environment and the exit codes', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'hookpost', '--help'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
    });
    for (const line of [
      'hookpost projects list|create',
      'hookpost keys list|create|revoke',
      'hookpost webhooks list|get|create|update|delete|rotate-secret|finish-rotation|test',
      'hookpost events publish|list|get',
      'hookpost deliveries list|get|retry|recover',
      'hookpost tail',
      'HOOKPOST_URL',
      'HOOKPOST_API_KEY',
      '--json',
    ]) {
      expect(stdout).toContain(line);
    }
  });

  it('projects and keys: an admin creates a project and a key for it; tables for people, JSON for scripts', async () => {
    const project = await cliJson(['projects', 'create', 'CLI Corp'], admin);
    projectId = project.id;
    expect(projectId).toMatch(/^prj_/);
    const [created, table] = await Promise.all([
      cliJson(['keys', 'create', '--project', projectId, '--name', 'ci'], admin),
      runCli(['projects', 'list'], admin),
    ]);
    expect(created.key).toMatch(/^hpk_/);
    expect(created.apiKey).toMatchObject({ name: 'ci', scope: 'PROJECT', project: { id: projectId } });
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+CREATED$/);
    expect(table.stdout).toMatch(new RegExp(`${projectId}\\s+CLI Corp\\s+\\d{4}-`));
    env = { HOOKPOST_URL: h.url, HOOKPOST_API_KEY: created.key };
  });

  it('webhooks: create (secret shown once), get, update, list, rotate-secret, finish-rotation', async () => {
    const created = await cliJson(
      ['webhooks', 'create', '--url', receiver.url, '--events', 'order.*,invoice.paid', '--name', 'orders', '--header', 'X-Tenant: acme'],
      env,
    );
    webhookId = created.webhook.id;
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.webhook).toMatchObject({ url: receiver.url, events: ['order.*', 'invoice.paid'], headers: { 'X-Tenant': 'acme' }, active: true });

    const updated = await cliJson(['webhooks', 'update', webhookId, '--name', 'orders v2', '--retry-schedule', '5,10', '--disable', '--ordered'], env);
    expect(updated).toMatchObject({ name: 'orders v2', retrySchedule: [5, 10], active: false, ordered: true, events: ['order.*', 'invoice.paid'] });
    const [enabled, rotated] = await Promise.all([
      cliJson(['webhooks', 'update', webhookId, '--enable'], env),
      cliJson(['webhooks', 'rotate-secret', webhookId, '--grace-period', '60'], env),
    ]);
    expect(enabled.active).toBe(true);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);

    const [get, list] = await Promise.all([runCli(['webhooks', 'get', webhookId], env), cliJson(['webhooks', 'list'], env)]);
    expect(get.stdout).toMatch(new RegExp(`url\\s+${receiver.url}`));
    expect(get.stdout).toMatch(/name\s+orders v2/);
    expect(get.stdout).toMatch(/ordered\s+yes: one at a time/);
    expect(get.stdout).toContain(
      `secret       …${rotated.secret.slice(-4)} (rotating: the previous one signs too, alone in the branded header, until finish-rotation or`,
    );
    expect(get.stdout).toMatch(/circuit\s+closed/);
    const finished = await cliJson(['webhooks', 'finish-rotation', webhookId], env);
    expect(finished).toMatchObject({ id: webhookId, previousSecretExpiresAt: null, secretHint: rotated.secret.slice(-4) });
    expect(list.nodes.map((w: { id: string }) => w.id)).toEqual([webhookId]);
    expect(list.pageInfo.hasNextPage).toBe(false);
  });

  it('events: publish with --data and --file, an idempotency key replays; deliveries list, get and retry', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hookpost-cli-'));
    await writeFile(path.join(dir, 'order.json'), JSON.stringify({ orderId: 'ord_2', total: 12.5 }));
    const [first, fromFile] = await Promise.all([
      cliJson(['events', 'publish', 'order.shipped', '--data', '{"orderId":"ord_1"}', '--idempotency-key', 'ord_1-shipped'], env),
      cliJson(['events', 'publish', 'order.paid', '--file', path.join(dir, 'order.json')], env),
    ]);
    expect(first).toMatchObject({ replayed: false, deliveryCount: 1, event: { type: 'order.shipped', data: { orderId: 'ord_1' } } });
    expect(fromFile.event.data).toEqual({ orderId: 'ord_2', total: 12.5 });
    const again = await runCli(['events', 'publish', 'order.shipped', '--data', '{"orderId":"ord_1"}', '--idempotency-key', 'ord_1-shipped'], env);
    expect(again.stdout).toContain(`${first.event.id} was already published with this idempotency key`);

    await receiver.waitFor(2);
    await waitUntil(async () => (await deliveriesOf(webhookId)).every((d) => d.status === 'SUCCEEDED'), 10_000, 'both deliveries to succeed');
    const list = await cliJson(['deliveries', 'list', '--webhook', webhookId], env);
    expect(list.nodes.map((d: { event: { id: string } }) => d.event.id).sort()).toEqual([first.event.id, fromFile.event.id].sort());
    const shipped = list.nodes.find((d: { event: { id: string } }) => d.event.id === first.event.id);

    // One after the other: a retry landing first would show the delivery PENDING again.
    const get = await runCli(['deliveries', 'get', shipped.id], env);
    const retried = await cliJson(['deliveries', 'retry', shipped.id], env);
    expect(get.stdout).toMatch(/status\s+SUCCEEDED/);
    expect(get.stdout).toMatch(/^1\s+✓ 200\s+\d+ ms/m);
    expect(retried.id).toBe(shipped.id);
    const resent = await receiver.waitFor(3);
    expect(resent.filter((r) => JSON.parse(r.body).id === first.event.id)).toHaveLength(2);
  });

  it('webhooks test sends a signed test delivery; deliveries recover re-queues the dead letters', async () => {
    const tested = await cliJson(['webhooks', 'test', webhookId, '--data', '{"hello":"cli"}'], env);
    expect(tested.event.type).toBe('webhook.test');
    await waitUntil(() => receiver.requests.find((r) => JSON.parse(r.body).data?.hello === 'cli'), 10_000, 'the test delivery');

    // One attempt only, against a receiver that fails: the delivery is dead-lettered at once.
    const doomed = await cliJson(['webhooks', 'create', '--url', failing.url, '--events', 'invoice.*', '--retry-policy', '{"schedule":[]}'], env);
    const since = new Date(Date.now() - 60_000).toISOString();
    await cliJson(['events', 'publish', 'invoice.overdue', '--data', '{"invoice":"inv_9"}'], env);
    await waitUntil(async () => (await deliveriesOf(doomed.webhook.id))[0]?.status === 'FAILED', 10_000, 'a dead letter');
    const dead = await cliJson(['deliveries', 'list', '--status', 'FAILED'], env);
    expect(dead.nodes).toHaveLength(1);

    failing.respondWith((_req, res) => res.writeHead(204).end());
    const recovered = await runCli(['deliveries', 'recover', '--webhook', doomed.webhook.id, '--since', since], env);
    expect(recovered.stdout).toContain(`Re-queued 1 failed deliveries of ${doomed.webhook.id}`);
    await waitUntil(async () => (await deliveriesOf(doomed.webhook.id))[0]?.status === 'SUCCEEDED', 10_000, 'the recovered delivery');

    const deleted = await cliJson(['webhooks', 'delete', doomed.webhook.id], env);
    expect(deleted.deletedWebhookId).toBe(doomed.webhook.id);
  });

  it('tail prints one line per attempt as it happens', async () => {
    const tail = spawnCli(['tail', '--webhook', webhookId, '--limit', '1'], env);
    await waitUntil(() => tail.stderrText().includes('Following delivery attempts'), 10_000, 'tail to connect');
    // Its Redis subscription may still be on the way: publish until tail has printed its one line.
    const published: string[] = [];
    let exited = false;
    void tail.done.then(() => (exited = true));
    await waitUntil(
      async () => {
        if (exited) return true;
        const { publishEvent } = await h.ok('mutation { publishEvent(input: { type: "order.tailed", data: {} }) { event { id } } }', {}, env.HOOKPOST_API_KEY);
        published.push(publishEvent.event.id);
        await new Promise((r) => setTimeout(r, 100));
        return false;
      },
      15_000,
      'tail to print an attempt',
    );
    const { code, stdout } = await tail.done;
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const deliveries = await h.deps.db.delivery.findMany({ where: { eventId: { in: published } } });
    const printed = deliveries.find((d) => stdout.includes(d.id));
    expect(printed).toBeDefined();
    expect(stdout).toMatch(new RegExp(`^\\S+Z  ✓ 200  \\d+ms  #1  order\\.tailed  ${printed!.id}  ${webhookId}  ${receiver.url}\\n$`));
  });

  it('tail ends cleanly on Ctrl-C', async () => {
    const tail = spawnCli(['tail'], env);
    await waitUntil(() => tail.stderrText().includes('Following delivery attempts'), 10_000, 'tail to connect');
    tail.kill('SIGINT');
    expect(await tail.done).toMatchObject({ code: 0, stdout: '' });
  });

  it('fails with exit code 1 and the error code: NOT_FOUND, FORBIDDEN, BAD_USER_INPUT, UNAUTHENTICATED, NETWORK_ERROR', async () => {
    const results = await Promise.all([
      runCli(['webhooks', 'get', 'whk_00000000000000000000000000000000'], env),
      runCli(['projects', 'list'], env),
      runCli(['events', 'publish', 'Not A Type', '--data', '{}'], env),
      runCli(['webhooks', 'list', '--first', '500'], env),
      runCli(['events', 'publish', 'order.shipped', '--data', '[1]'], env),
      runCli(['webhooks', 'list'], { HOOKPOST_URL: h.url, HOOKPOST_API_KEY: 'hpk_wrong' }),
      runCli(['webhooks', 'list', '--api-url', 'http://127.0.0.1:9/graphql'], env),
    ]);
    const codes = results.map((r) => [r.code, /^hookpost: \[([A-Z_]+)\]/.exec(r.stderr)?.[1]]);
    expect(codes).toEqual([
      [1, 'NOT_FOUND'],
      [1, 'FORBIDDEN'],
      [1, 'BAD_USER_INPUT'],
      [1, 'BAD_USER_INPUT'],
      [1, 'BAD_USER_INPUT'],
      [1, 'UNAUTHENTICATED'],
      [1, 'NETWORK_ERROR'],
    ]);
    expect(results.every((r) => r.stdout === '')).toBe(true);
  });

  it('keys revoke: the revoked key is refused from then on', async () => {
    const spare = await cliJson(['keys', 'create', '--name', 'spare'], env);
    const keys = await cliJson(['keys', 'list'], env);
    expect(keys.nodes.map((k: { name: string }) => k.name).sort()).toEqual(['ci', 'spare']);
    const revoked = await cliJson(['keys', 'revoke', spare.apiKey.id], env);
    expect(revoked.revokedAt).toBeTruthy();
    const refused = await runCli(['webhooks', 'list'], { HOOKPOST_URL: h.url, HOOKPOST_API_KEY: spare.key });
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('[UNAUTHENTICATED]')]);
  });
});
