import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { parseEncryptionKeys } from '../../src/core/crypto/secretBox.ts';
import { deriveTokenSigningKeys, parseTokenSigningKeys } from '../../src/core/crypto/tokenKeys.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { TEST_ADMIN_KEY, TEST_ENCRYPTION_KEY } from '../support/env.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { MARKER_IDS, proveLive, sseSubscription, wsSubscription } from '../support/subscriptions.ts';
import { waitUntil } from '../support/wait.ts';

const K1 = Buffer.alloc(32, 1).toString('base64');
const K2 = Buffer.alloc(32, 2).toString('base64');

let h: Harness;
let project: { projectId: string; key: string };
let hook: string;

const MINT = /* GraphQL */ `
  mutation($input: CreateTenantTokenInput!) { createTenantToken(input: $input) { token expiresAt } }
`;
const VIEWER = `{ viewer { scope tenantId expiresAt project { id } } }`;
const WEBHOOKS = `{ webhooks { edges { node { id tenantId } } } }`;

beforeAll(async () => {
  h = await startHarness({ HOOKPOST_TOKEN_SIGNING_KEY: K1 });
  project = await h.createProject('RegPilot');
  hook = (await h.ok(CREATE_WEBHOOK, { input: { url: 'https://acme.example/hook', events: ['*'], tenantId: 'acme' } }, project.key)).createWebhook.webhook.id;
});
afterAll(() => h.close());

const mint = async (input: Record<string, unknown>, key: string | null = project.key) =>
  (await h.ok(MINT, { input: { tenantId: 'acme', ...input } }, key)).createTenantToken as { token: string; expiresAt: string };
const codeOf = (res: { errors?: { extensions?: { code?: string } }[] }) => res.errors?.[0]?.extensions?.code;

/** A key of the project of its own, so revoking it leaves the others alone. */
async function freshKey(): Promise<{ id: string; key: string }> {
  const { createApiKey } = await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "portal" }) { key apiKey { id } } }`, {
    p: project.projectId,
  });
  return { id: createApiKey.apiKey.id, key: createApiKey.key };
}

describe('createTenantToken', () => {
  it('mints a token for one tenant that acts as that tenant, for an hour by default', async () => {
    const before = Date.now();
    const { token, expiresAt } = await mint({});
    expect(token.split('.')).toHaveLength(3);
    expect(new Date(expiresAt).getTime() - before).toBeGreaterThan(3590_000);
    expect(new Date(expiresAt).getTime() - before).toBeLessThanOrEqual(3601_000);
    expect((await h.ok(VIEWER, {}, token)).viewer).toEqual({ scope: 'TENANT', tenantId: 'acme', expiresAt, project: { id: project.projectId } });
    expect((await h.ok(WEBHOOKS, {}, token)).webhooks.edges.map((e: any) => e.node)).toEqual([{ id: hook, tenantId: 'acme' }]);

    // An admin key names the project; the token then acts for it just the same.
    const byAdmin = await mint({ projectId: project.projectId, expiresInSeconds: 86400 }, TEST_ADMIN_KEY);
    expect(new Date(byAdmin.expiresAt).getTime() - before).toBeGreaterThan(86390_000);
    expect((await h.ok(WEBHOOKS, {}, byAdmin.token)).webhooks.edges).toHaveLength(1);
  });

  it('refuses bad input, another project, and tenant tokens minting tokens', async () => {
    for (const input of [{ expiresInSeconds: 86401 }, { expiresInSeconds: 0 }, { tenantId: 'a b' }, { tenantId: '' }]) {
      expect(codeOf(await h.gql(MINT, { input: { tenantId: 'acme', ...input } }, project.key)), JSON.stringify(input)).toBe('BAD_USER_INPUT');
    }
    expect(codeOf(await h.gql(MINT, { input: { tenantId: 'acme' } }, TEST_ADMIN_KEY))).toBe('BAD_USER_INPUT');
    expect(codeOf(await h.gql(MINT, { input: { tenantId: 'acme', projectId: 'prj_missing' } }, TEST_ADMIN_KEY))).toBe('NOT_FOUND');
    const other = await h.createProject('Other');
    expect(codeOf(await h.gql(MINT, { input: { tenantId: 'acme', projectId: project.projectId } }, other.key))).toBe('FORBIDDEN');
    const { token } = await mint({});
    expect(codeOf(await h.gql(MINT, { input: { tenantId: 'acme' } }, token))).toBe('FORBIDDEN');
    expect(codeOf(await h.gql(MINT, { input: { tenantId: 'acme' } }, null))).toBe('UNAUTHENTICATED');
  });
});

describe('a tenant token ends', () => {
  it('when it expires, with a message saying so', async () => {
    const { token, expiresAt } = await mint({ expiresInSeconds: 2 });
    expect((await h.ok(VIEWER, {}, token)).viewer.expiresAt).toBe(expiresAt);
    const refused = await waitUntil(
      async () => {
        const res = await h.gql(VIEWER, {}, token);
        return res.errors ? res : undefined;
      },
      5000,
      'the token to expire',
    );
    expect(refused.errors?.[0]).toMatchObject({
      message: 'Tenant token expired; mint a new one with createTenantToken',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    expect(refused.data ?? null).toBeNull();
  });

  it('when it is forged or tampered with', async () => {
    const { token } = await mint({});
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const otherTenant = Buffer.from(JSON.stringify({ ...claims, sub: 'globex' })).toString('base64url');
    // The first character of a signature carries six significant bits; the last carries only four,
    // so changing the tail could leave the decoded bytes as they were (about once in a thousand runs).
    const tampered = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    for (const bad of [`${header}.${otherTenant}.${signature}`, `${header}.${payload}.${tampered}`, 'a.b.c']) {
      expect((await h.gql(VIEWER, {}, bad)).errors?.[0]).toMatchObject({
        message: 'Invalid tenant token: forged, tampered with or malformed',
        extensions: { code: 'UNAUTHENTICATED' },
      });
    }
  });

  it('on the next request when the key that minted it is revoked, on every replica', async () => {
    const replica = buildApp(h.deps);
    const replicaUrl = await replica.listen(0);
    onTestFinished(() => replica.close());
    const minter = await freshKey();
    const { token } = await mint({}, minter.key);
    const kept = await mint({});
    const viewerOn = async (url: string, t = token) => {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
        body: JSON.stringify({ query: VIEWER }),
      });
      return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
    };
    // Both replicas have the minting key cached as alive now.
    expect((await viewerOn(h.url)).data.viewer.scope).toBe('TENANT');
    expect((await viewerOn(replicaUrl)).data.viewer.scope).toBe('TENANT');
    await h.ok(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }`, { id: minter.id }, project.key);
    for (const url of [replicaUrl, h.url]) {
      expect((await viewerOn(url)).errors?.[0]).toMatchObject({
        message: 'Tenant token revoked: the API key that minted it was revoked',
        extensions: { code: 'UNAUTHENTICATED' },
      });
      // A token minted by another key lives on.
      expect((await viewerOn(url, kept.token)).data.viewer.tenantId).toBe('acme');
    }
  });

  it('when the environment’s admin key that minted it is changed', async () => {
    const { token } = await mint({ projectId: project.projectId }, TEST_ADMIN_KEY);
    expect((await h.ok(VIEWER, {}, token)).viewer.tenantId).toBe('acme');
    // The same deployment restarted with another HOOKPOST_ADMIN_KEY.
    const app = buildApp({ ...h.deps, config: { ...h.config, adminKey: 'hpk_another_admin_key_0123456789' } });
    const url = await app.listen(0);
    onTestFinished(() => app.close());
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: VIEWER }),
    });
    expect(((await res.json()) as any).errors?.[0]).toMatchObject({
      message: 'Tenant token revoked: the API key that minted it was revoked',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('when its signing key is retired; a rotation that keeps the old key second keeps it alive', async () => {
    const { token } = await mint({});
    // Another deployment of the same database and Redis, configured with other signing keys.
    const appWith = async (signingKey: string | undefined) => {
      const keys = signingKey ? parseTokenSigningKeys(signingKey) : deriveTokenSigningKeys(parseEncryptionKeys(TEST_ENCRYPTION_KEY));
      const app = buildApp({ ...h.deps, tokenSigningKeys: keys });
      const url = await app.listen(0);
      onTestFinished(() => app.close());
      return async (t: string, query = VIEWER, variables = {}) => {
        const res = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
          body: JSON.stringify({ query, variables }),
        });
        return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
      };
    };
    const rotating = await appWith(`${K2},${K1}`);
    expect((await rotating(token)).data.viewer.tenantId).toBe('acme');
    const rotated = await appWith(K2);
    expect((await rotated(token)).errors?.[0]).toMatchObject({
      message: 'Tenant token signed with a key that is no longer configured (the signing key was rotated); mint a new one',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    // Without a signing key of its own, the key is derived from the encryption key: a token still
    // works out of the box, and is not one the K1 deployment accepts.
    const derived = await appWith(undefined);
    expect((await derived(token)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const own = (await derived(project.key, MINT, { input: { tenantId: 'acme' } })).data.createTenantToken.token;
    expect((await derived(own)).data.viewer.tenantId).toBe('acme');
    expect((await h.gql(VIEWER, {}, own)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('a tenant token over WebSocket and SSE', () => {
  const ATTEMPTS = `subscription { deliveryAttemptCreated { id } }`;
  const marker = () => ({ attemptId: MARKER_IDS.attemptId, deliveryId: MARKER_IDS.deliveryId, webhookId: hook, projectId: project.projectId });

  it('works in connectionParams, and its socket is closed when the minting key is revoked', async () => {
    const minter = await freshKey();
    const { token } = await mint({}, minter.key);
    let closed: { code: number; reason: string } | undefined;
    const client = h.wsClient(token, { on: { closed: (e) => (closed = e as { code: number; reason: string }) } });
    const live = wsSubscription(client, ATTEMPTS);
    await proveLive(h, live, 'deliveryAttemptCreated', marker());
    await h.ok(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }`, { id: minter.id }, project.key);
    await live.ended;
    expect(closed).toMatchObject({ code: 4401, reason: 'API key revoked' });
  });

  it('an expired token is refused at connection with the reason, and ends an open SSE stream', async () => {
    const { token } = await mint({ expiresInSeconds: 2 });
    const live = await sseSubscription(h.url, token, ATTEMPTS);
    expect(live.status).toBe(200);
    await proveLive(h, live, 'deliveryAttemptCreated', marker());
    expect(await live.ended).toBeNull();
    expect(live.errors).toMatchObject([{ message: 'Tenant token expired', extensions: { code: 'UNAUTHENTICATED' } }]);
    await waitUntil(async () => (await h.gql(VIEWER, {}, token)).errors, 5000, 'the token to expire');
    let closed: { code: number; reason: string } | undefined;
    const refused = wsSubscription(h.wsClient(token, { on: { closed: (e) => (closed = e as { code: number; reason: string }) } }), ATTEMPTS);
    await refused.ended;
    expect(closed).toMatchObject({ code: 4401, reason: 'Tenant token expired; mint a new one with createTenantToken' });
  });
});
