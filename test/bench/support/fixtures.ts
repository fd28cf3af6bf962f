import { now } from './clock.ts';
import type { Features, Gql } from './gql.ts';

/** Filler so each event's body is the size of a typical webhook (~600 bytes with the envelope). */
const PAD = 'x'.repeat(400);

/**
 * The data of every event the bench publishes (and of the raw ceiling's bodies): `sentAt` is stamped
 * just before the request leaves, `tag` names the measurement, `seq` numbers the event within it.
 */
export function eventData(tag: string, seq: number): { sentAt: number; tag: string; seq: number; pad: string } {
  return { sentAt: now(), tag, seq, pad: PAD };
}

export async function createProject(admin: Gql, name: string): Promise<{ projectId: string; key: string }> {
  const { createProject } = await admin.request(`mutation($name: String!) { createProject(input: { name: $name }) { project { id } } }`, { name });
  const projectId = createProject.project.id as string;
  const { createApiKey } = await admin.request(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "bench" }) { key } }`, { p: projectId });
  return { projectId, key: createApiKey.key as string };
}

export interface WebhookSpec {
  url: string;
  events: string[];
  timeoutSeconds?: number;
  /** Passed only when the API has per-endpoint concurrency. */
  maxConcurrency?: number;
}

export async function createWebhook(gql: Gql, features: Features, spec: WebhookSpec): Promise<string> {
  const { maxConcurrency, ...input } = spec;
  const withLimit = features.maxConcurrency && maxConcurrency !== undefined ? { ...input, maxConcurrency } : input;
  const { createWebhook } = await gql.request(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }`, {
    input: withLimit,
  });
  return createWebhook.webhook.id as string;
}

/** Creates many webhooks, a few requests at a time; ids in the order of `specs`. */
export async function createWebhooks(gql: Gql, features: Features, specs: WebhookSpec[], concurrency = 16): Promise<string[]> {
  const ids: string[] = new Array(specs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < specs.length) {
        const i = next++;
        ids[i] = await createWebhook(gql, features, specs[i]);
      }
    }),
  );
  return ids;
}
