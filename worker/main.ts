import { loadConfig } from '../src/config.ts';
import { createDeps } from '../src/deps.ts';
import { onShutdown } from '../src/bin/shutdown.ts';
import { createDeliveryWorker } from './deliveryWorker.ts';

const deps = await createDeps(loadConfig());
const worker = createDeliveryWorker(deps);
deps.logger.info({ concurrency: deps.config.delivery.concurrency }, 'delivery worker started');
onShutdown(deps.logger, async () => {
  await worker.close();
  await deps.close();
});
