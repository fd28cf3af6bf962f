import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createInMemoryAPQStore, useAPQ } from '@graphql-yoga/plugin-apq';
import type { AddressInfo } from 'node:net';
import { useServer } from 'graphql-ws/use/ws';
import { drainOnClose } from './httpDrain.ts';
import { GraphQLError } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer, type WebSocket } from 'ws';
import type { CoreDeps } from '../core/deps.ts';
import { createOpsEndpoints } from '../core/opsEndpoints.ts';
import { checkReadiness } from '../core/readiness.ts';
import { keyFromConnectionParams, keyFromHeaders, type Viewer } from './auth/apiKeys.ts';
import { type Authenticator, createAuthenticator } from './auth/authenticator.ts';
import type { ApiDeps } from './deps.ts';
import { createEventCatalog } from './services/eventCatalog.ts';
import { createEventWriter } from './services/eventWriter.ts';
import type { GraphQLContext } from './graphql/context.ts';
import { INVALID_KEY_MESSAGE } from './auth/access.ts';
import { useAuthGate } from './graphql/authGate.ts';
import { useErrorCodes } from './graphql/errorCodes.ts';
import { useInputGuard } from './graphql/inputGuard.ts';
import { requestIdFrom, requestIdOfError, withRequestId } from './requestIds.ts';
import { hardeningPlugins, maskError } from './graphql/hardening.ts';
import { useOperationMetrics } from './graphql/operationMetrics.ts';
import { useTenantMutations } from './graphql/tenantMutations.ts';
import { createDashboardRoute } from './dashboard/serve.ts';
import { schema, subgraphSchema } from './graphql/schema.ts';
import { useSharedSubscriptionResults } from './graphql/sharedResults.ts';
import { reportUnusedQueries } from './graphql/builder.ts';

export interface App {
  server: Server;
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

interface InitialContext {
  request?: Request;
  connectionParams?: Readonly<Record<string, unknown>>;
}

/** Close code for a socket whose key was revoked (4401: the graphql-ws family's "unauthorized"). */
export const WS_CLOSE_REVOKED = 4401;

/**
 * The GraphQL API over HTTP (Yoga, SSE included) and WebSocket (graphql-ws) on one server.
 * `authenticate` may be replaced, e.g. by a test.
 */
export function buildApp(core: CoreDeps, opts: { authenticate?: Authenticator } = {}): App {
  const ownAuthenticator = opts.authenticate ? undefined : createAuthenticator(core, core.config.adminKey);
  const deps: ApiDeps = {
    ...core,
    authenticate: opts.authenticate ?? ownAuthenticator!,
    eventWriter: createEventWriter({ ...core, sql: core.preparedSql }),
    eventCatalog: createEventCatalog(core),
  };
  const { logger } = deps;
  if (deps.config.env !== 'production') {
    reportUnusedQueries((info) => logger.warn({ field: `${info.parentType.name}.${info.fieldName}` }, 'prisma field resolved without its query'));
  }
  // The editor's code (~10 MB, held twice by V8 as module source and string) loads when someone
  // first opens GraphiQL, not in every API process at start; the page is then rendered once.
  let graphiqlPage: Promise<string> | undefined;
  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema: deps.config.federation ? subgraphSchema() : schema,
    graphqlEndpoint: '/graphql',
    // The server below refuses a body over the limit, or without a Content-Length, before Yoga
    // sees it, and Node's parser reads no more than that length. Yoga's own limit re-streams every
    // body through a TransformStream: 5 % of the API's CPU under single publishes (--cpu-prof),
    // 3 % more in the DOMException its pipeline makes when each request ends.
    maxRequestBodySize: false,
    maskedErrors: { isDev: false, maskError },
    // Persisted query hashes for a day (the plugin's default store forgets them after 36 s).
    plugins: [
      useErrorCodes(),
      ...hardeningPlugins(deps.config),
      useAPQ({ store: createInMemoryAPQStore({ ttl: 24 * 3600_000 }) }),
      useOperationMetrics(deps.metrics),
      // After the metrics (so refusals are counted), before anything that reads or runs the operation.
      useAuthGate(),
      useInputGuard(),
      useSharedSubscriptionResults(),
      useTenantMutations(),
    ],
    // The editor's code comes from the package, not a CDN, so GraphiQL works on an air-gapped host.
    graphiql: { title: 'Hookpost GraphiQL' },
    renderGraphiQL: (opts) => (graphiqlPage ??= import('@graphql-yoga/render-graphiql').then((m) => m.renderGraphiQL(opts))),
    logging: {
      debug: (...args) => logger.debug(yogaLog(args), 'graphql'),
      info: (...args) => logger.info(yogaLog(args), 'graphql'),
      warn: (...args) => logger.warn(yogaLog(args), 'graphql'),
      // Yoga logs here the cause of every error it masks: with the id the client was given.
      error: (...args) => logger.error(yogaLog(args), 'graphql'),
    },
    context: async (initial: InitialContext): Promise<GraphQLContext> => {
      const key = initial.connectionParams ? keyFromConnectionParams(initial.connectionParams) : initial.request && keyFromHeaders(initial.request.headers);
      return { deps, viewer: await deps.authenticate(key), keySent: key !== undefined };
    },
  });

  const { maxBodyBytes } = deps.config.security;
  const ops = createOpsEndpoints({ metrics: deps.metrics, readiness: () => checkReadiness(deps) });
  const dashboard = createDashboardRoute(undefined, { portalFrameAncestors: deps.config.portal.frameAncestors });
  const server = createServer((req, res) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('x-request-id', requestId);
    withRequestId(requestId, () => handle(req, res));
  });
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (ops(req, res) || dashboard(req, res)) return;
    // Bodies are judged by their declared length before a byte is read; a body without one is refused.
    if (req.method === 'POST') {
      const length = Number(req.headers['content-length']);
      if (req.headers['content-length'] === undefined) return refuse(res, 411, 'Content-Length is required');
      if (!(length <= maxBodyBytes)) return refuse(res, 413, `Request bodies may be at most ${maxBodyBytes} bytes`);
    }
    void yoga.handle(req, res);
  };

  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  const socketsByKey = new Map<string, Set<WebSocket>>();
  const wsDisposable = useServer<Record<string, unknown>, { viewer: Viewer }>(
    {
      // graphql-ws closes with 4403 Forbidden when this returns false.
      onConnect: async (ctx) => {
        let viewer: Viewer | null;
        try {
          viewer = await deps.authenticate(keyFromConnectionParams(ctx.connectionParams));
        } catch (err) {
          // An expired, retired or revoked tenant token: say why, as the close reason.
          if (!(err instanceof GraphQLError)) throw err;
          ctx.extra.socket.close(WS_CLOSE_REVOKED, err.message);
          return false;
        }
        if (!viewer) {
          // A wrong key is told so; with none, graphql-ws closes 4403 Forbidden.
          if (keyFromConnectionParams(ctx.connectionParams)) ctx.extra.socket.close(WS_CLOSE_REVOKED, INVALID_KEY_MESSAGE);
          return false;
        }
        ctx.extra.viewer = viewer;
        if (viewer.scope === 'TENANT') {
          const expiry = setTimeout(() => ctx.extra.socket.close(WS_CLOSE_REVOKED, 'Tenant token expired'), viewer.expiresAt.getTime() - Date.now());
          ctx.extra.socket.once('close', () => clearTimeout(expiry));
        }
        const sockets = socketsByKey.get(viewer.keyId) ?? new Set();
        sockets.add(ctx.extra.socket);
        socketsByKey.set(viewer.keyId, sockets);
        ctx.extra.socket.once('close', () => {
          sockets.delete(ctx.extra.socket);
          if (sockets.size === 0) socketsByKey.delete(viewer.keyId);
        });
        return true;
      },
      // Each operation on a socket is a request of its own, with its own id.
      execute: (args) => withRequestId(randomUUID(), () => (args.rootValue as EnvelopedRoot).execute(args)),
      subscribe: (args) => withRequestId(randomUUID(), () => (args.rootValue as EnvelopedRoot).subscribe(args)),
      onSubscribe: async (ctx, _id, params) => {
        const {
          schema: s,
          execute,
          subscribe,
          contextFactory,
          parse,
          validate,
        } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          connectionParams: ctx.connectionParams ?? {},
        });
        let contextValue: Awaited<ReturnType<typeof contextFactory>>;
        try {
          contextValue = await contextFactory();
        } catch (err) {
          if (err instanceof GraphQLError) return [err];
          throw err;
        }
        const args = {
          schema: s,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length ? errors : args;
      },
    },
    wsServer,
  );

  const stopCountingSockets = deps.metrics.countWebSockets(() => wsServer.clients.size);
  const drainHttp = drainOnClose(server);

  // A revoked key loses its live streams at once, on every API replica.
  const stopRevocations = deps.broadcaster.listen('apiKeyRevoked', ({ keyId }) => {
    for (const socket of socketsByKey.get(keyId) ?? []) socket.close(WS_CLOSE_REVOKED, 'API key revoked');
  });

  return {
    server,
    yoga,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const { address, port: bound } = server.address() as AddressInfo;
          resolve(`http://${address.includes(':') ? `[${address}]` : address}:${bound}`);
        });
      }),
    async close() {
      stopRevocations();
      stopCountingSockets();
      // graphql-ws clients reconnect on 1001, to another replica; requests in flight are answered first.
      for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
      await wsDisposable.dispose();
      await drainHttp();
      await ownAuthenticator?.close();
      await deps.eventCatalog.close();
      await deps.eventWriter.drain();
    },
  };
}

/** Yoga logs an Error or a few values; pino wants one object, with errors under `err`. */
function yogaLog(args: unknown[]): Record<string, unknown> {
  if (!(args[0] instanceof Error)) return { detail: args };
  const requestId = requestIdOfError(args[0]);
  return requestId ? { err: args[0], requestId } : { err: args[0] };
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] }));
}

interface EnvelopedRoot {
  execute: (args: unknown) => ReturnType<NonNullable<Parameters<typeof useServer>[0]['execute']>>;
  subscribe: (args: unknown) => ReturnType<NonNullable<Parameters<typeof useServer>[0]['subscribe']>>;
}
