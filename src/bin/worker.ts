// `npm run worker`: a delivery worker process; run as many as the receivers' load needs. Each serves
// /metrics, /healthz and /readyz on HOOKPOST_WORKER_METRICS_PORT.
import { loadConfig } from '../core/config.ts';
import { createCoreDeps } from '../core/deps.ts';
import { limitHeapGrowth, onShutdown, run } from '../core/lifecycle.ts';
import { createDeliveryWorker } from '../../worker/deliveryWorker.ts';
import { startOpsServer } from '../../worker/opsServer.ts';

run(async () => {
  const config = loadConfig();
  limitHeapGrowth(config.heapGrowthPercent);
  const deps = await createCoreDeps(config);
  const ops = await startOpsServer(deps);
  const worker = createDeliveryWorker(deps);
  onShutdown(
    deps.logger,
    [
      ['the deliveries in flight and the wake-up queue', () => worker.close()],
      ['the metrics and health server', () => ops.close()],
      ['the Postgres and Redis connections', () => deps.close()],
    ],
    config.shutdownTimeoutMs,
  );
});
