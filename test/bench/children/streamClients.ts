// Live dashboards: N graphql-ws connections, each subscribed to its project's deliveryAttemptCreated,
// in their own process so that reading 10,000 messages/s does not slow the load generator down.
// Each message's arrival is stamped here; the parent later says which attempts were expected.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { now } from '../support/clock.ts';
import { summarize } from '../support/stats.ts';
import { serveRequests } from './serve.ts';

const [url, key, countArg] = process.argv.slice(2);
const SUBSCRIPTION = 'subscription { deliveryAttemptCreated { id attemptNumber delivery { id } } }';

interface Subscriber {
  connected: boolean;
  /** attempt id → arrival time */
  seen: Map<string, number>;
  error?: string;
}

const subscribers: Subscriber[] = Array.from({ length: Number(countArg) }, () => ({ connected: false, seen: new Map() }));
let expected: string[] = [];

const clients = subscribers.map((sub) => {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: (err) => (sub.error ??= String(err)),
    on: { connected: () => (sub.connected = true), closed: () => (sub.connected = false) },
  });
  client.subscribe<{ deliveryAttemptCreated: { id: string } | null }>(
    { query: SUBSCRIPTION },
    {
      next: (msg) => {
        const id = msg.data?.deliveryAttemptCreated?.id;
        if (id && !sub.seen.has(id)) sub.seen.set(id, now());
        if (msg.errors) sub.error ??= JSON.stringify(msg.errors);
      },
      error: (err) => (sub.error ??= err instanceof Error ? err.message : JSON.stringify(err)),
      complete: () => {},
    },
  );
  return client;
});

function seenExpected(): number {
  let n = 0;
  for (const sub of subscribers) for (const id of expected) if (sub.seen.has(id)) n++;
  return n;
}

serveRequests({
  status: () => ({
    connected: subscribers.filter((s) => s.connected).length,
    withMessages: subscribers.filter((s) => s.seen.size > 0).length,
    errors: subscribers
      .filter((s) => s.error)
      .map((s) => s.error)
      .slice(0, 3),
  }),
  /** The attempts every subscriber should see; answers how many (subscriber, attempt) pairs arrived. */
  expect: (msg) => {
    expected = msg.attemptIds as string[];
    return { seen: seenExpected(), of: expected.length * subscribers.length };
  },
  /** Stream latency from each attempt's publish time (`sentAt`, by attempt id) to each arrival. */
  report: (msg) => {
    const sentAt = msg.sentAt as Record<string, number>;
    const latencies: number[] = [];
    let first = Infinity;
    let last = -Infinity;
    for (const sub of subscribers) {
      for (const id of expected) {
        const at = sub.seen.get(id);
        if (at === undefined) continue;
        latencies.push(at - sentAt[id]);
        first = Math.min(first, at);
        last = Math.max(last, at);
      }
    }
    const missing = expected.length * subscribers.length - latencies.length;
    // Per attempt: its first subscriber's latency, and how long its last subscriber came after.
    const firstByAttempt: number[] = [];
    const spreadByAttempt: number[] = [];
    for (const id of expected) {
      const times = subscribers.flatMap((sub) => sub.seen.get(id) ?? []);
      if (!times.length) continue;
      const earliest = Math.min(...times);
      firstByAttempt.push(earliest - sentAt[id]);
      spreadByAttempt.push(Math.max(...times) - earliest);
    }
    return {
      latency: summarize(latencies, missing),
      firstSubscriber: summarize(firstByAttempt),
      lastAfterFirst: summarize(spreadByAttempt),
      received: latencies.length,
      missing,
      firstArrival: first,
      lastArrival: last,
      errors: subscribers
        .filter((s) => s.error)
        .map((s) => s.error)
        .slice(0, 3),
    };
  },
});

process.on('exit', () => clients.forEach((c) => void c.dispose()));
