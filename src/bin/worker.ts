// `npm run worker`: a delivery worker process; run as many as the receivers' load needs.
import { loadConfig } from '../core/config.ts';
import { createCoreDeps } from '../core/deps.ts';
import { onShutdown, run } from '../core/lifecycle.ts';
import { createDeliveryWorker } from '../../worker/deliveryWorker.ts';

run(async () => {
  const deps = await createCoreDeps(loadConfig());
  const worker = createDeliveryWorker(deps);
  onShutdown(deps.logger, async () => {
    await worker.close();
    await deps.close();
  });
});
