// The shipped alert rules and Grafana dashboard, against Debian's promtool and a real Prometheus
// that scrapes a running API and worker process.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it, onTestFinished } from 'vitest';
import { startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { exited, freePort, spawnWorker, workerEnv } from '../support/processes.ts';
import { startReceiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RULES = path.join(ROOT, 'docs/alerts.yaml');
const run = promisify(execFile);

it('promtool checks the alert rules, and every alert fires in its unit test', async () => {
  const checked = await run('promtool', ['check', 'rules', RULES]);
  expect(checked.stdout).toMatch(/SUCCESS: \d+ rules found/);
  const tested = await run('promtool', ['test', 'rules', path.join(ROOT, 'test/ops/alerts.test.yaml')]);
  expect(tested.stdout).toMatch(/SUCCESS/);
  // Every alert of the file is exercised by the unit test.
  const alerts = [...(await readFile(RULES, 'utf8')).matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
  const tests = await readFile(path.join(ROOT, 'test/ops/alerts.test.yaml'), 'utf8');
  for (const alert of alerts) expect(tests, alert).toMatch(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`));
});

it('a real Prometheus scrapes the API and a worker: the delivery rate, the rules and every dashboard query answer', async () => {
  const h = await startHarness();
  onTestFinished(() => h.close());
  const receiver = await startReceiver();
  onTestFinished(() => receiver.close());
  const workerPort = await freePort();
  const worker = spawnWorker(workerEnv(h.config, { HOOKPOST_WORKER_METRICS_PORT: String(workerPort), HOST: '127.0.0.1' }));
  onTestFinished(async () => {
    worker.kill('SIGKILL');
    await exited(worker);
  });

  const dir = await mkdtemp(path.join(tmpdir(), 'hookpost-prometheus-'));
  const config = [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: ['${RULES}']`,
    'scrape_configs:',
    `  - { job_name: hookpost-api, static_configs: [{ targets: ['${new URL(h.url).host}'] }] }`,
    `  - { job_name: hookpost-worker, static_configs: [{ targets: ['127.0.0.1:${workerPort}'] }] }`,
  ].join('\n');
  await writeFile(path.join(dir, 'prometheus.yml'), config);
  const promPort = await freePort();
  const server = spawn(
    'prometheus',
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
    { stdio: 'ignore' },
  );
  onTestFinished(async () => {
    server.kill('SIGKILL');
    await exited(server);
  });
  const query = async (q: string) => {
    const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => null);
    return res
      ? ((await res.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } })
      : null;
  };

  const { key } = await h.createProject('Scraped');
  await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['prom.*'] } }, key);
  const events = Array.from({ length: 20 }, (_, i) => ({ type: 'prom.tick', data: { i } }));
  await waitUntil(async () => (await query('up'))?.data?.result.filter((r) => r.value[1] === '1').length === 2, 30_000, 'both targets up');
  await h.ok(`mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount } }`, { e: events }, key);
  await receiver.waitFor(20);

  const value = async (q: string) => Number((await query(q))?.data?.result[0]?.value[1] ?? Number.NaN);
  const SUCCEEDED = 'sum(hookpost_delivery_attempts_total{job="hookpost-worker",outcome="succeeded"})';
  await waitUntil(async () => (await value(SUCCEEDED)) >= 20, 30_000, 'the worker’s 20 succeeded attempts scraped');
  expect(await value(SUCCEEDED)).toBe(20);
  // More deliveries once the counter is known: the delivery rate is what they add between scrapes.
  await h.ok(`mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount } }`, { e: events }, key);
  await receiver.waitFor(40);
  await waitUntil(async () => (await value('sum(rate(hookpost_delivery_attempts_total[1m]))')) > 0, 30_000, 'a delivery rate');
  await waitUntil(async () => (await value(SUCCEEDED)) === 40, 30_000, 'all 40 succeeded attempts scraped');

  // The rules are loaded and evaluated: healthy, nothing fires.
  const rules = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/rules`)).json()) as {
    data: { groups: { rules: { name: string; health: string; state: string }[] }[] };
  };
  const loaded = rules.data.groups.flatMap((g) => g.rules);
  expect(loaded.length).toBeGreaterThanOrEqual(9);
  await waitUntil(
    async () => {
      const now = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/rules`)).json()) as typeof rules;
      return now.data.groups.flatMap((g) => g.rules).every((r) => r.health === 'ok');
    },
    15_000,
    'every rule evaluated',
  );
  expect((await query('ALERTS{alertstate="firing"}'))?.data?.result).toEqual([]);

  // Every query of the shipped dashboard is valid PromQL over series that exist.
  const dashboard = JSON.parse(await readFile(path.join(ROOT, 'docs/grafana-dashboard.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  for (const panel of dashboard.panels) {
    for (const { expr } of panel.targets) {
      const answer = await query(expr);
      expect(answer?.status, `${panel.title}: ${expr} ${answer?.error ?? ''}`).toBe('success');
    }
  }
}, 90_000);
