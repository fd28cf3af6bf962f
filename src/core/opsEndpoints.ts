import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from './metrics.ts';
import type { Readiness } from './readiness.ts';

export interface OpsEndpointDeps {
  metrics: Metrics;
  readiness: () => Promise<Readiness>;
}

/**
 * `/healthz` (the process answers), `/readyz` (Postgres and Redis answer; 503 naming what does not)
 * and `/metrics` (Prometheus text), for the API and the worker alike. Returns false for other paths.
 */
export function createOpsEndpoints(deps: OpsEndpointDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === '/healthz') {
      json(res, 200, { ok: true });
      return true;
    }
    if (path === '/readyz') {
      deps.readiness().then(
        (r) => json(res, r.ok ? 200 : 503, r),
        (err: unknown) => json(res, 503, { ok: false, error: String(err) }),
      );
      return true;
    }
    if (path === '/metrics') {
      deps.metrics.render().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}`),
      );
      return true;
    }
    return false;
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}
