import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CoreDeps } from '../src/core/deps.ts';
import { createOpsEndpoints } from '../src/core/opsEndpoints.ts';
import { checkReadiness } from '../src/core/readiness.ts';

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * The worker's own small HTTP server: /healthz, /readyz and /metrics. When the configured port is
 * taken (several workers on one host), it says so and takes a free one: delivering matters more.
 */
export async function startOpsServer(deps: CoreDeps, port = deps.config.operations.workerMetricsPort, host = deps.config.host): Promise<OpsServer> {
  const ops = createOpsEndpoints({ metrics: deps.metrics, readiness: () => checkReadiness(deps) });
  const server = createServer((req, res) => {
    if (!ops(req, res)) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  let address: AddressInfo;
  try {
    address = await listen(server, port, host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw err;
    address = await listen(server, 0, host);
    deps.logger.warn({ wanted: port, port: address.port }, 'HOOKPOST_WORKER_METRICS_PORT is in use; serving metrics on a free port instead');
  }
  const shown = address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `http://${shown}:${address.port}`;
  deps.logger.info({ url: `${url}/metrics` }, 'worker metrics and health endpoints listening');
  return {
    url,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
