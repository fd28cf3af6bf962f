import type { CliConfig } from './config.ts';
import { CliError } from './errors.ts';

interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string; field?: string };
}

export interface GraphQLClient {
  request<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Follows a subscription until it completes, fails, or `signal` aborts (then it resolves). */
  subscribe<T = any>(
    query: string,
    variables: Record<string, unknown>,
    handlers: { next: (data: T) => undefined | 'stop'; connected?: () => void },
    signal: AbortSignal,
  ): Promise<void>;
}

/** The first error's code (the server's own), with every message. */
function fromGraphQLErrors(errors: readonly GraphQLErrorShape[]): CliError {
  const first = errors.find((e) => e.extensions?.code);
  return new CliError(first?.extensions?.code ?? 'GRAPHQL_ERROR', errors.map((e) => e.message).join('; '), first?.extensions?.field);
}

function requireKey(config: CliConfig): string {
  if (!config.apiKey) throw new CliError('UNAUTHENTICATED', 'no API key: set HOOKPOST_API_KEY or pass --api-key');
  return config.apiKey;
}

/** WebSocket close codes the server uses for a refused or revoked key. */
const CLOSED_FOR_KEY: Record<number, string> = { 4401: 'the API key was revoked', 4403: 'the API key was refused' };

export function createGraphQLClient(config: CliConfig): GraphQLClient {
  return {
    async request(query, variables = {}) {
      const key = requireKey(config);
      let res: Response;
      try {
        res = await fetch(config.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query, variables }),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new CliError('NETWORK_ERROR', `cannot reach ${config.url}: ${cause?.code ?? cause?.message ?? String(err)}`);
      }
      const text = await res.text();
      let body: { data?: any; errors?: GraphQLErrorShape[] };
      try {
        body = JSON.parse(text);
      } catch {
        throw new CliError(`HTTP_${res.status}`, `${config.url} answered ${res.status} without GraphQL: ${text.slice(0, 200)}`);
      }
      if (body.errors?.length) throw fromGraphQLErrors(body.errors);
      if (!res.ok || !body.data) throw new CliError(`HTTP_${res.status}`, `${config.url} answered ${res.status}`);
      return body.data;
    },

    async subscribe(query, variables, handlers, signal) {
      const key = requireKey(config);
      // Loaded here: graphql-ws brings graphql-js, half the start-up time of every other command.
      const [{ createClient }, { default: WebSocket }] = await Promise.all([import('graphql-ws'), import('ws')]);
      const client = createClient({
        url: config.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${key}` },
        retryAttempts: 0,
        lazy: true,
        on: { connected: () => handlers.connected?.() },
      });
      try {
        await new Promise<void>((resolve, reject) => {
          const stop = client.subscribe<any>(
            { query, variables },
            {
              next: (msg) => {
                if (msg.errors?.length) return reject(fromGraphQLErrors(msg.errors as GraphQLErrorShape[]));
                if (handlers.next(msg.data) === 'stop') {
                  stop();
                  resolve();
                }
              },
              error: (err) => reject(subscriptionFailure(err, config.wsUrl)),
              complete: resolve,
            },
          );
          signal.addEventListener(
            'abort',
            () => {
              stop();
              resolve();
            },
            { once: true },
          );
        });
      } finally {
        await client.dispose();
      }
    },
  };
}

/** graphql-ws reports GraphQL errors as an array, a closed socket as a CloseEvent, a failed one as an Error. */
function subscriptionFailure(err: unknown, url: string): CliError {
  if (Array.isArray(err)) return fromGraphQLErrors(err as GraphQLErrorShape[]);
  const close = err as { code?: number; reason?: string };
  if (typeof close?.code === 'number') {
    if (CLOSED_FOR_KEY[close.code]) return new CliError('UNAUTHENTICATED', CLOSED_FOR_KEY[close.code]);
    return new CliError('NETWORK_ERROR', `${url} closed the connection (${close.code}${close.reason ? ` ${close.reason}` : ''})`);
  }
  const cause = err as { code?: string; message?: string };
  return new CliError('NETWORK_ERROR', `cannot reach ${url}: ${cause?.code ?? cause?.message ?? String(err)}`);
}
