// `npm run worker`: a delivery worker process; run as many as the receivers' load needs.
import { onShutdown, run } from '../src/bin/lifecycle.ts';
import { loadConfig } from '../src/config.ts';
import { createDeps } from '../src/deps.ts';
import { createDeliveryWorker } from './deliveryWorker.ts';

run(async () => {
  const deps = await createDeps(loadConfig());
  const worker = createDeliveryWorker(deps);
  deps.logger.info({ concurrency: deps.config.delivery.concurrency }, 'delivery worker started');
  onShutdown(deps.logger, async () => {
    await worker.close();
    await deps.close();
  });
});
