import type { Server, ServerResponse } from 'node:http';

/** How long a stop waits for requests in flight before it cuts what is left. */
const DRAIN_MS = 5000;

const isStream = (res: ServerResponse) => String(res.getHeader('content-type') ?? '').startsWith('text/event-stream');

/**
 * Stops an HTTP server the way a rolling restart needs: no new connections, idle keep-alive ones
 * closed, every request in flight answered (a publish under way gets its result, not a reset), then
 * whatever is left cut: server-sent event streams, which never end by themselves, and anything still
 * running after DRAIN_MS. Returns the function that does it.
 */
export function drainOnClose(server: Server): () => Promise<void> {
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  return async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const deadline = Date.now() + DRAIN_MS;
    while ([...inFlight].some((res) => !isStream(res)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    server.closeAllConnections();
    await closed;
  };
}
