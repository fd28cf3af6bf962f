// Subscription events are executed once per (operation, variables, key scope), not once per subscriber.
import { createPubSub, createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { resultScope, useSharedSubscriptionResults } from '../../src/api/graphql/sharedResults.ts';
import { waitUntil } from '../support/wait.ts';

interface Tick {
  n: number;
}

function server() {
  const pubsub = createPubSub<{ tick: [Tick] }>();
  let executions = 0;
  const schema = createSchema<{ viewer: object | null }>({
    typeDefs: /* GraphQL */ `
      type Query { ok: Boolean }
      type Subscription { tick(times: Int): Int }
    `,
    resolvers: {
      Subscription: {
        tick: {
          subscribe: () => pubsub.subscribe('tick'),
          resolve: (tick: Tick, args: { times?: number }) => {
            executions++;
            return tick.n * (args.times ?? 1);
          },
        },
      },
    },
  });
  const viewers: Record<string, object> = {
    a1: { scope: 'PROJECT', projectId: 'prj_a', keyId: 'k1' },
    a2: { scope: 'PROJECT', projectId: 'prj_a', keyId: 'k2' },
    b: { scope: 'PROJECT', projectId: 'prj_b', keyId: 'k3' },
  };
  const yoga = createYoga({
    schema,
    plugins: [useSharedSubscriptionResults()],
    context: ({ request }): { viewer: object | null } => ({ viewer: viewers[request.headers.get('x-key') ?? ''] ?? null }),
  });
  return { pubsub, yoga, executions: () => executions };
}

/** An SSE subscriber collecting the numbers it receives. */
async function subscribe(yoga: ReturnType<typeof server>['yoga'], key: string, times = 1) {
  const res = await yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-key': key },
    body: JSON.stringify({ query: `subscription($t: Int) { tick(times: $t) }`, variables: { t: times } }),
  });
  const received: number[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      for (const m of r.value.matchAll(/data: (\{.*\})/g)) received.push(JSON.parse(m[1]).data.tick);
    }
  })().catch(() => {});
  return { received, close: () => reader.cancel() };
}

describe('shared subscription results', () => {
  it('tells key scopes apart', () => {
    expect(resultScope({ scope: 'ADMIN', keyId: 'x' } as never)).toBe('admin');
    expect(resultScope({ scope: 'PROJECT', projectId: 'prj_a', keyId: 'x' } as never)).toBe('p:prj_a');
    expect(resultScope({ scope: 'TENANT', projectId: 'prj_a', tenantId: 'acme', keyId: 'x' } as never)).toBe('t:prj_a:acme');
    expect(resultScope(null)).toBeUndefined();
  });

  it('executes an event once for subscribers of one scope, operation and variables; apart otherwise', async () => {
    const s = server();
    const same = [await subscribe(s.yoga, 'a1'), await subscribe(s.yoga, 'a2'), await subscribe(s.yoga, 'a1')];
    const otherProject = await subscribe(s.yoga, 'b');
    const otherVariables = await subscribe(s.yoga, 'a1', 10);
    const everyone = [...same, otherProject, otherVariables];
    // SSE subscriptions start when their first event is asked for: publish until all are listening.
    let k = 0;
    await waitUntil(
      async () => {
        s.pubsub.publish('tick', { n: -++k });
        return everyone.every((x) => x.received.length > 0);
      },
      10_000,
      'every subscriber to listen',
    );
    // Each stream is in order: once the last warm-up tick is everywhere, none is still executing.
    const last = (x: { received: number[] }) => x.received[x.received.length - 1];
    await waitUntil(() => everyone.every((x) => last(x) === -k || last(x) === -k * 10), 5000, 'the warm-up to settle');
    const before = s.executions();
    for (const x of everyone) x.received.length = 0;
    s.pubsub.publish('tick', { n: 7 });
    await waitUntil(() => everyone.every((x) => x.received.includes(7) || x.received.includes(70)), 5000, 'the tick everywhere');
    expect(same.map((x) => x.received)).toEqual([[7], [7], [7]]);
    expect(otherProject.received).toEqual([7]);
    expect(otherVariables.received).toEqual([70]);
    // One execution for the three alike, one for the other project, one for the other variables.
    expect(s.executions() - before).toBe(3);
    await Promise.all(everyone.map((x) => x.close()));
  });
});
