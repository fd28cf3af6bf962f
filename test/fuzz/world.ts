// What the fuzzer's calls meet: two projects with webhooks, an event type, an event and its
// deliveries, and every kind of viewer (the admin, a project key, a tenant token, no key, wrong ones).
import { randomBytes } from 'node:crypto';
import type { Harness } from '../support/harness.ts';
import { TEST_ADMIN_KEY } from '../support/env.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';

export interface Viewer {
  name: string;
  /** The credential sent as `Authorization: Bearer …`; null for none. */
  key: string | null;
  /** Whether the API should take it. */
  valid: boolean;
}

export interface World {
  viewers: Viewer[];
  /** Ids of every kind that exist, in one project or the other. */
  realIds: string[];
}

const TOKEN = `mutation($p: ID, $t: String!, $s: Int) { createTenantToken(input: { projectId: $p, tenantId: $t, expiresInSeconds: $s }) { token } }`;

export async function buildWorld(h: Harness): Promise<World> {
  const mine = await h.createProject('Fuzzed');
  const other = await h.createProject('Other');
  const hook = async (key: string, input: Record<string, unknown>) => (await h.ok(CREATE_WEBHOOK, { input }, key)).createWebhook.webhook.id as string;
  const hooks = [
    await hook(mine.key, { url: 'https://hooks.example/all', events: ['*'] }),
    await hook(mine.key, { url: 'https://hooks.example/acme', events: ['order.*'], tenantId: 'acme' }),
    await hook(other.key, { url: 'https://hooks.example/other', events: ['*'] }),
  ];
  const { createEventType } = await h.ok(
    `mutation($i: CreateEventTypeInput!) { createEventType(input: $i) { eventType { id } } }`,
    { i: { name: 'order.shipped', schema: { type: 'object', properties: { id: { type: 'string' } } }, example: { id: 'o_1' } } },
    mine.key,
  );
  const events = [
    (await h.ok(PUBLISH_EVENT, { input: { type: 'order.shipped', data: { id: 'o_1' }, tenantId: 'acme' } }, mine.key)).publishEvent.event.id,
    (await h.ok(PUBLISH_EVENT, { input: { type: 'user.created', data: { id: 'u_1' } } }, other.key)).publishEvent.event.id,
  ];
  const { deliveries } = await h.ok(`{ deliveries(first: 10) { edges { node { id } } } }`);
  // A key of its own, so that revoking the ids the fuzzer finds never locks out its own viewers.
  const spare = await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "spare" }) { apiKey { id } } }`, { p: mine.projectId });
  const revoked = await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "revoked" }) { key apiKey { id } } }`, {
    p: mine.projectId,
  });
  await h.ok(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }`, { id: revoked.createApiKey.apiKey.id });

  const tenant = (await h.ok(TOKEN, { t: 'acme' }, mine.key)).createTenantToken.token as string;
  const shortLived = (await h.ok(TOKEN, { t: 'acme', s: 1 }, mine.key)).createTenantToken.token as string;
  const [header, , signature] = tenant.split('.');
  const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'globex', prj: mine.projectId })).toString('base64url')}.${signature}`;
  await new Promise((r) => setTimeout(r, 1100)); // the short-lived token is expired from here on

  return {
    viewers: [
      { name: 'admin', key: TEST_ADMIN_KEY, valid: true },
      { name: 'project key', key: mine.key, valid: true },
      { name: 'tenant token', key: tenant, valid: true },
      { name: 'no key', key: null, valid: false },
      { name: 'unknown key', key: `hpk_${randomBytes(32).toString('base64url')}`, valid: false },
      { name: 'junk key', key: 'wrong', valid: false },
      { name: 'revoked key', key: revoked.createApiKey.key, valid: false },
      { name: 'forged token', key: forged, valid: false },
      { name: 'expired token', key: shortLived, valid: false },
    ],
    realIds: [
      mine.projectId,
      other.projectId,
      ...hooks,
      createEventType.eventType.id,
      ...events,
      ...deliveries.edges.map((e: { node: { id: string } }) => e.node.id),
      spare.createApiKey.apiKey.id,
      revoked.createApiKey.apiKey.id,
    ],
  };
}
