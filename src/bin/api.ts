// `npm run api`: the GraphQL API alone.
import { startApi } from '../api/server.ts';
import { loadConfig } from '../core/config.ts';
import { createCoreDeps } from '../core/deps.ts';
import { limitHeapGrowth, onShutdown, run } from '../core/lifecycle.ts';

run(async () => {
  const config = loadConfig();
  limitHeapGrowth(config.heapGrowthPercent);
  const deps = await createCoreDeps(config);
  const app = await startApi(deps);
  onShutdown(
    deps.logger,
    [
      ['the requests and subscriptions in flight', () => app.close()],
      ['the Postgres and Redis connections', () => deps.close()],
    ],
    config.shutdownTimeoutMs,
  );
});
