import { type Client, createClient } from 'graphql-ws/client';

export interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}

export class ApiError extends Error {
  constructor(readonly errors: GraphQLError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

/** GraphQL over HTTP and over graphql-ws with one project key, against the server that served the page. */
export interface Api {
  query<T>(document: string, variables?: Record<string, unknown>): Promise<T>;
  subscribe<T>(document: string, onData: (data: T) => void, onError: (err: unknown) => void): () => void;
  /** Connection state of the live socket, for the page to show. */
  onSocket(listener: (state: 'connecting' | 'connected' | 'reconnecting' | 'closed', code?: number) => void): void;
  close(): void;
}

/** Close code for a revoked key (see src/api/app.ts). */
export const REVOKED = 4401;

/**
 * `onUnauthenticated` hears when the key or token stops working mid-session (a tenant token expires,
 * a key is revoked): a query answered UNAUTHENTICATED, or the socket closed for that reason.
 */
export function createApi(key: string, origin = location.origin, onUnauthenticated?: () => void): Api {
  type State = 'connecting' | 'connected' | 'reconnecting' | 'closed';
  const listeners: ((state: State, code?: number) => void)[] = [];
  // The socket may connect before the page listens: a new listener hears the latest state first.
  let last: [State, number?] = ['connecting'];
  const tell = (state: State, code?: number) => {
    last = [state, code];
    listeners.forEach((l) => l(state, code));
  };
  // Opened on first use, once the page knows the key works: a dead key or token never opens a socket.
  let ws: Client | undefined;
  const socket = (): Client =>
    (ws ??= createClient({
      url: `${origin.replace(/^http/, 'ws')}/graphql`,
      connectionParams: { authorization: `Bearer ${key}` },
      lazy: false,
      retryAttempts: Infinity,
      // A revoked or wrong key will not get better by retrying.
      shouldRetry: (e) => !(e instanceof CloseEvent && (e.code === REVOKED || e.code === 4403)),
      on: {
        connected: () => tell('connected'),
        closed: (e) => {
          const code = (e as CloseEvent).code;
          tell(code === REVOKED || code === 4403 ? 'closed' : 'reconnecting', code);
          if (code === REVOKED) onUnauthenticated?.();
        },
      },
    }));
  return {
    async query<T>(document: string, variables: Record<string, unknown> = {}) {
      const res = await fetch(`${origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: document, variables }),
      });
      const body = (await res.json()) as { data?: T; errors?: GraphQLError[] };
      if (body.errors?.length) {
        const error = new ApiError(body.errors);
        if (error.code === 'UNAUTHENTICATED') onUnauthenticated?.();
        throw error;
      }
      return body.data as T;
    },
    subscribe<T>(document: string, onData: (data: T) => void, onError: (err: unknown) => void) {
      const fail = (err: unknown) => {
        // graphql-ws hands over a list of GraphQL errors, or the socket's CloseEvent.
        const error = Array.isArray(err) ? new ApiError(err as GraphQLError[]) : err;
        if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') onUnauthenticated?.();
        onError(error);
      };
      return socket().subscribe<T>(
        { query: document },
        {
          next: (msg) => (msg.errors?.length ? fail(msg.errors) : onData(msg.data as T)),
          error: fail,
          complete: () => {},
        },
      );
    },
    onSocket(listener) {
      socket();
      listeners.push(listener);
      listener(...last);
    },
    close: () => void ws?.dispose(),
  };
}
