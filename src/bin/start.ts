// `npm start`: database created if missing, migrations applied, then the API and a delivery worker
// in one process. Run `npm run api` and `npm run worker` separately to scale them apart.
import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { createDeps } from '../deps.ts';
import { createDeliveryWorker } from '../../worker/deliveryWorker.ts';
import { onShutdown, run } from './lifecycle.ts';
import { announceAdminKey, prepareDatabase } from './prepare.ts';

run(async () => {
  const config = loadConfig();
  const deps = await createDeps(config);
  await prepareDatabase(config, deps.logger);
  await announceAdminKey(deps.db, config);
  const app = buildApp(deps);
  const worker = createDeliveryWorker(deps);
  const url = await app.listen(config.port, config.host);
  deps.logger.info({ url: `${url}/graphql` }, 'Hookpost is listening');
  onShutdown(deps.logger, async () => {
    await app.close();
    await worker.close();
    await deps.close();
  });
});
