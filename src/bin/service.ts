import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { createDeps } from '../deps.ts';
import { createDeliveryWorker } from '../../worker/deliveryWorker.ts';
import { onShutdown, run } from './lifecycle.ts';
import { announceAdminKey, prepareDatabase } from './prepare.ts';

/**
 * Starts the API, a delivery worker, or both in one process. The API prepares the database first
 * (created if missing, migrations applied) and prints a bootstrap admin key when there is none.
 */
export function startService(parts: { api: boolean; worker: boolean }): void {
  run(async () => {
    const config = loadConfig();
    const deps = await createDeps(config);
    if (parts.api) {
      await prepareDatabase(config, deps.logger);
      await announceAdminKey(deps.db, config);
    }
    const worker = parts.worker ? createDeliveryWorker(deps) : undefined;
    if (worker) deps.logger.info({ concurrency: config.delivery.concurrency }, 'delivery worker started');
    const app = parts.api ? buildApp(deps) : undefined;
    if (app) {
      const url = await app.listen(config.port, config.host);
      deps.logger.info({ url: `${url}/graphql` }, 'Hookpost is listening');
    }
    onShutdown(deps.logger, async () => {
      await app?.close();
      await worker?.close();
      await deps.close();
    });
  });
}
