// `npm run api`: the GraphQL API alone.
import { startApi } from '../api/server.ts';
import { loadConfig } from '../core/config.ts';
import { createCoreDeps } from '../core/deps.ts';
import { onShutdown, run } from '../core/lifecycle.ts';

run(async () => {
  const deps = await createCoreDeps(loadConfig());
  const app = await startApi(deps);
  onShutdown(deps.logger, async () => {
    await app.close();
    await deps.close();
  });
});
