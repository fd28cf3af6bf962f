// Brands belong to projects: one Hookpost serves several seed products' webhook formats at once,
// whatever the environment of the processes that send them.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { brand, type SeedBrand } from '../fixtures/seedBrands.ts';
import { adoptProjectSettings } from '../../src/core/db/prepare.ts';
import { testConfig } from '../support/env.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { exited, spawnWorker, workerEnv } from '../support/processes.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const CREATE_PROJECT = `mutation($name: String!, $delivery: ProjectDeliveryInput) {
  createProject(input: { name: $name, delivery: $delivery }) { project { id delivery { headerPrefix signatureFormat envelope userAgent retrySchedule disableAfterFailures } } }
}`;
const UPDATE_PROJECT = `mutation($id: ID!, $delivery: ProjectDeliveryInput) {
  updateProject(input: { id: $id, delivery: $delivery }) { project { delivery { headerPrefix userAgent } } }
}`;
const PUBLISH_MANY = `mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount } }`;
/** What the worker processes' environment says; no project uses it. */
const OTHER_BRAND = {
  HOOKPOST_HEADER_PREFIX: 'X-Other',
  HOOKPOST_SIGNATURE_FORMAT: 'sha256=hex',
  HOOKPOST_ENVELOPE: 'id,type,data',
  HOOKPOST_USER_AGENT: 'Other/9',
  HOOKPOST_RETRY_SCHEDULE: '0.1',
};

interface Branded {
  brand: SeedBrand;
  projectId: string;
  key: string;
  receiver: Receiver;
  secret: string;
}

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** A project with a seed's brand, a webhook to a receiver running that seed's documented check (401 when it refuses). */
async function branded(seed: SeedBrand): Promise<Branded> {
  const { createProject } = await h.ok(CREATE_PROJECT, { name: seed.name, delivery: seed.delivery });
  const projectId = createProject.project.id;
  const { createApiKey } = await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "brand" }) { key } }`, { p: projectId });
  const receiver = await startReceiver();
  onTestFinished(() => receiver.close());
  const b: Branded = { brand: seed, projectId, key: createApiKey.key, receiver, secret: '' };
  receiver.respondWith((req, res) => (seed.accepts(req, b.secret) ? res.writeHead(200).end('OK') : res.writeHead(401).end('Invalid signature')));
  const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['brand.*'] } }, b.key);
  b.secret = createWebhook.secret;
  return b;
}

async function publish(b: Branded, count: number, from = 0) {
  const events = Array.from({ length: count }, (_, i) => ({ type: 'brand.tick', data: { i: from + i } }));
  await h.ok(PUBLISH_MANY, { e: events }, b.key);
}

const succeeded = async (projectId: string) =>
  (await h.deps.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE project_id = $1 AND status = 'SUCCEEDED'`, [projectId])).rows[0].n;

describe('brand settings per project', () => {
  it('serves two seed brands from the same workers, whose environment names a third, and a settings change reaches the next attempt on every worker', async () => {
    const regPilot = await branded(brand('RegPilot'));
    const complianceLayer = await branded(brand('ComplianceLayer'));
    const { project } = await h.ok(
      `query($id: ID!) { project(id: $id) { delivery { headerPrefix signatureFormat envelope userAgent retrySchedule disableAfterFailures } } }`,
      {
        id: complianceLayer.projectId,
      },
    );
    expect(project.delivery).toEqual({
      headerPrefix: 'X-ComplianceLayer',
      signatureFormat: 'HEX',
      envelope: 'id,type,created_at=timestamp,data',
      userAgent: 'ComplianceLayer-Webhooks/1.0',
      retrySchedule: [60, 300, 900, 3600, 7200],
      disableAfterFailures: 10,
    });

    // Two worker processes (restarted, as it were, with other values), each sending from its own address.
    const addresses = ['127.0.0.2', '127.0.0.3'];
    for (const address of addresses) {
      const child = spawnWorker(workerEnv(h.config, { ...OTHER_BRAND, HOOKPOST_SOURCE_ADDRESS: address, HOOKPOST_WORKER_METRICS_PORT: '0' }));
      onTestFinished(async () => {
        child.kill('SIGKILL');
        await exited(child);
      });
    }
    const EVENTS = 100;
    await Promise.all([publish(regPilot, EVENTS), publish(complianceLayer, EVENTS)]);
    for (const b of [regPilot, complianceLayer]) {
      const requests = await b.receiver.waitFor(EVENTS, 60_000);
      await waitUntil(async () => (await succeeded(b.projectId)) === EVENTS, 20_000, `${b.brand.name}: every delivery accepted by its receiver`);
      expect(requests).toHaveLength(EVENTS);
      for (const req of requests) {
        expect(Object.keys(JSON.parse(req.body))).toEqual(b.brand.envelopeKeys);
        expect(req.headers['x-other-signature']).toBeUndefined();
      }
    }
    expect(new Set(complianceLayer.receiver.requests.map((r) => r.headers['user-agent']))).toEqual(new Set(['ComplianceLayer-Webhooks/1.0']));
    expect(new Set(regPilot.receiver.requests.map((r) => r.headers['user-agent']))).toEqual(new Set(['Hookpost-Webhooks/1.0']));
    const senders = [...regPilot.receiver.requests, ...complianceLayer.receiver.requests].map((r) => r.remoteAddress);
    expect(new Set(senders)).toEqual(new Set(addresses));

    // The project's owner changes its user agent: every attempt from then on, on either worker, carries it.
    const { updateProject } = await h.ok(
      UPDATE_PROJECT,
      { id: complianceLayer.projectId, delivery: { userAgent: 'ComplianceLayer-Webhooks/2.0' } },
      complianceLayer.key,
    );
    expect(updateProject.project.delivery).toEqual({ headerPrefix: 'X-ComplianceLayer', userAgent: 'ComplianceLayer-Webhooks/2.0' });
    await publish(complianceLayer, EVENTS, EVENTS);
    const after = (await complianceLayer.receiver.waitFor(2 * EVENTS, 60_000)).slice(EVENTS);
    expect(new Set(after.map((r) => r.headers['user-agent']))).toEqual(new Set(['ComplianceLayer-Webhooks/2.0']));
    expect(new Set(after.map((r) => r.remoteAddress))).toEqual(new Set(addresses));
    await waitUntil(async () => (await succeeded(complianceLayer.projectId)) === 2 * EVENTS, 20_000, 'every delivery after the change accepted');
  }, 120_000);

  it('refuses bad settings with the field named, writing nothing; a tenant token or another project cannot change them', async () => {
    const before = await h.deps.db.project.count();
    for (const [delivery, field] of [
      [{ headerPrefix: 'X Bad' }, 'input.delivery.headerPrefix'],
      [{ envelope: 'id,type' }, 'input.delivery.envelope'],
      [{ retryPolicy: { initialDelaySeconds: 60 } }, 'input.delivery.retryPolicy'],
      [{ disableAfterFailures: 0 }, 'input.delivery.disableAfterFailures'],
    ] as const) {
      const res = await h.gql(CREATE_PROJECT, { name: 'Bad', delivery });
      expect(res.errors?.[0]?.extensions, JSON.stringify(res.errors)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await h.deps.db.project.count()).toBe(before);

    const mine = await branded(brand('Regen Therapy'));
    const theirs = await branded(brand('de.iterate'));
    const foreign = await h.gql(UPDATE_PROJECT, { id: mine.projectId, delivery: { userAgent: 'Hijack/1' } }, theirs.key);
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const { createTenantToken } = await h.ok(`mutation { createTenantToken(input: { tenantId: "cust_1" }) { token } }`, {}, mine.key);
    const byTenant = await h.gql(UPDATE_PROJECT, { id: mine.projectId, delivery: { userAgent: 'Hijack/1' } }, createTenantToken.token);
    expect(byTenant.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const { project } = await h.ok(`query($id: ID!) { project(id: $id) { delivery { userAgent } } }`, { id: mine.projectId });
    expect(project.delivery.userAgent).toBe('Hookpost-Webhooks/1.0');
  });

  it("gives a project without settings the deployment's once, at start; a start with other values changes nothing", async () => {
    // A project as the migration leaves one made before projects had settings.
    await h.deps.sql.query(`INSERT INTO projects (id, name) VALUES ('prj_adopt', 'Older')`);
    const atStart = (env: Record<string, string>) => adoptProjectSettings(testConfig(h.databaseName, 'unused', env));
    const COMPLIANCE_ENV = {
      HOOKPOST_HEADER_PREFIX: 'X-ComplianceLayer',
      HOOKPOST_SIGNATURE_FORMAT: 'hex',
      HOOKPOST_ENVELOPE: 'id,type,created_at=timestamp,data',
      HOOKPOST_USER_AGENT: 'ComplianceLayer-Webhooks/1.0',
      HOOKPOST_RETRY_SCHEDULE: '60,300,900,3600,7200',
      HOOKPOST_DISABLE_AFTER_FAILURES: '10',
    };
    expect(await atStart(COMPLIANCE_ENV)).toBe(1);
    expect(await atStart(OTHER_BRAND)).toBe(0);
    const { rows } = await h.deps.sql.query(
      `SELECT header_prefix, signature_format, envelope, user_agent, retry_policy, disable_after_failures FROM projects WHERE id = 'prj_adopt'`,
    );
    expect(rows[0]).toEqual({
      header_prefix: 'X-ComplianceLayer',
      signature_format: 'hex',
      envelope: 'id,type,created_at=timestamp,data',
      user_agent: 'ComplianceLayer-Webhooks/1.0',
      retry_policy: { schedule: [60, 300, 900, 3600, 7200] },
      disable_after_failures: 10,
    });
  });
});
