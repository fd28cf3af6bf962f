// `npm start`: the API and a delivery worker in one process. `npm run api` and `npm run worker` run
// them apart, to scale each on its own. The API's /metrics then covers the worker too (one registry).
import { startApi } from '../api/server.ts';
import { loadConfig } from '../core/config.ts';
import { createCoreDeps } from '../core/deps.ts';
import { limitHeapGrowth, onShutdown, run } from '../core/lifecycle.ts';
import { createDeliveryWorker } from '../../worker/deliveryWorker.ts';

run(async () => {
  const config = loadConfig();
  limitHeapGrowth(config.heapGrowthPercent);
  const deps = await createCoreDeps(config);
  const app = await startApi(deps);
  const worker = createDeliveryWorker(deps);
  onShutdown(
    deps.logger,
    [
      ['the requests and subscriptions in flight', () => app.close()],
      ['the deliveries in flight and the wake-up queue', () => worker.close()],
      ['the Postgres and Redis connections', () => deps.close()],
    ],
    config.shutdownTimeoutMs,
  );
});
