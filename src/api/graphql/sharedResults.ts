import { createSourceEventStream, type DocumentNode, execute, type ExecutionArgs, print } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Viewer } from '../auth/apiKeys.ts';
import type { GraphQLContext } from './context.ts';

/** Subscribers that would see the same result: the same key scope (admin, a project, a tenant). */
export function resultScope(viewer: Viewer | null | undefined): string | undefined {
  if (!viewer) return undefined;
  if (viewer.scope === 'ADMIN') return 'admin';
  return viewer.scope === 'PROJECT' ? `p:${viewer.projectId}` : `t:${viewer.projectId}:${viewer.tenantId}`;
}

/**
 * Subscription events executed once per API process for all subscribers with the same operation,
 * variables and key scope, instead of once per subscriber: a dashboard's 200 tabs on one project
 * cost one execution per attempt, not 200. The source streams, with their per-key filters and
 * revocation, stay one per subscriber, and the other plugins' subscribe hooks (error masking,
 * metrics) wrap this as they wrapped the executor's. Events are the broadcaster's message objects,
 * shared by all subscribers of a topic, so results are kept in a WeakMap on them and go with them.
 */
export function useSharedSubscriptionResults(): Plugin<GraphQLContext> {
  const results = new WeakMap<object, Map<string, unknown>>();
  const texts = new WeakMap<DocumentNode, string>();
  const textOf = (doc: DocumentNode) => {
    let text = texts.get(doc);
    if (text === undefined) texts.set(doc, (text = doc.loc?.source.body ?? print(doc)));
    return text;
  };

  async function subscribe(args: ExecutionArgs): Promise<unknown> {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const scope = resultScope((args.contextValue as GraphQLContext).viewer);
    const key = scope && `${scope}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}\u0000${textOf(args.document)}`;
    const resultOf = (payload: unknown) => {
      if (!key || payload === null || typeof payload !== 'object') return execute({ ...args, rootValue: payload });
      let byKey = results.get(payload);
      if (!byKey) results.set(payload, (byKey = new Map()));
      let result = byKey.get(key);
      if (result === undefined) byKey.set(key, (result = execute({ ...args, rootValue: payload })));
      return result;
    };
    const events = source[Symbol.asyncIterator]();
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        const event = await events.next();
        return event.done ? event : { done: false, value: await resultOf(event.value) };
      },
      return: () => events.return?.() ?? Promise.resolve({ done: true, value: undefined }),
      throw: (err: unknown) => events.throw?.(err) ?? Promise.reject(err),
    };
  }

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribe as Parameters<typeof setSubscribeFn>[0]);
    },
  };
}
