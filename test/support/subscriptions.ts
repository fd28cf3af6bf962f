// Live GraphQL subscriptions as a test sees them, over graphql-ws and over SSE.
//
// A Redis SUBSCRIBE is asynchronous, and Redis cannot say whether one given GraphQL subscription is
// listening (the event target subscribes once per channel per process). So a test proves its
// subscription live the only sure way: it publishes marker messages on the subscription's topic and
// scope until the subscriber has received one. A marker names rows that do not exist, so it
// resolves to `null`; real messages always resolve to their row.
import type { Client } from 'graphql-ws';
import type { Topics } from '../../src/core/broadcaster.ts';
import type { Harness } from './harness.ts';
import { waitUntil } from './wait.ts';

interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}

export interface Subscription<T = any> {
  /** The subscribed field's value of every real message, in arrival order (markers left out). */
  items: T[];
  /** How many marker messages arrived. */
  markers: number;
  /** Errors sent as results (a refused subscription, a revoked key). */
  errors: GraphQLError[];
  /** Settles when the stream ends: with the close event or error that ended it, or null on `complete`. */
  ended: Promise<unknown>;
  close(): void;
}

/** Marker ids: well-formed, never stored. */
export const MARKER_IDS = { attemptId: 'att_marker', deliveryId: 'dlv_marker', webhookId: 'whk_marker' } as const;

function collector<T>() {
  const sub = { items: [] as T[], markers: 0, errors: [] as GraphQLError[] };
  const onResult = (result: { data?: Record<string, unknown> | null; errors?: readonly GraphQLError[] }) => {
    if (result.errors) sub.errors.push(...result.errors);
    if (!result.data) return;
    const value = Object.values(result.data)[0];
    if (value === null) sub.markers++;
    else sub.items.push(value as T);
  };
  return { sub, onResult };
}

/** Subscribes over graphql-ws and collects what arrives. */
export function wsSubscription<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Subscription<T> {
  const { sub, onResult } = collector<T>();
  let dispose = () => {};
  const ended = new Promise<unknown>((resolve) => {
    dispose = client.subscribe({ query, variables }, { next: onResult, error: resolve, complete: () => resolve(null) });
  });
  return Object.assign(sub, { ended, close: () => dispose() });
}

/** Subscribes over server-sent events and collects what arrives, until the server ends the stream. */
export async function sseSubscription<T = any>(
  url: string,
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Subscription<T> & { status: number; contentType: string | null; text(): string }> {
  const { sub, onResult } = collector<T>();
  const controller = new AbortController();
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    signal: controller.signal,
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  let text = '';
  let pending = '';
  const decoder = new TextDecoder();
  const read = async (): Promise<unknown> => {
    const reader = res.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return null;
      const chunk = decoder.decode(value, { stream: true });
      text += chunk;
      pending += chunk;
      // One event per blank-line-separated block: `event: next` carries a result in its `data:`.
      for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
        const block = pending.slice(0, end).split('\n');
        pending = pending.slice(end + 2);
        const data = block
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('\n');
        if (block.includes('event: next') && data) onResult(JSON.parse(data));
      }
    }
  };
  const ended = read().catch((err: unknown) => (controller.signal.aborted ? null : err));
  return Object.assign(sub, {
    ended,
    close: () => controller.abort(),
    status: res.status,
    contentType: res.headers.get('content-type'),
    text: () => text,
  });
}

/**
 * Resolves once `sub` has received a marker: `scope` is published on `topic` every 50 ms until one
 * arrives. `scope` carries the project and webhook the subscription filters on, and MARKER_IDS for
 * the rest. From then on, every message the API process gets for that scope reaches `sub`.
 */
export async function proveLive<K extends keyof Topics>(h: Harness, sub: Subscription, topic: K, scope: Topics[K]): Promise<void> {
  const before = sub.markers;
  await waitUntil(
    () => {
      if (sub.markers > before) return true;
      h.deps.broadcaster.publish(topic, scope);
      return false;
    },
    10_000,
    `a ${topic} marker to reach the subscriber`,
  );
}
