// `npm run api`: the GraphQL API alone (database prepared as by `npm start`), to scale apart from workers.
import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { createDeps } from '../deps.ts';
import { onShutdown, run } from './lifecycle.ts';
import { announceAdminKey, prepareDatabase } from './prepare.ts';

run(async () => {
  const config = loadConfig();
  const deps = await createDeps(config);
  await prepareDatabase(config, deps.logger);
  await announceAdminKey(deps.db, config);
  const app = buildApp(deps);
  const url = await app.listen(config.port, config.host);
  deps.logger.info({ url: `${url}/graphql` }, 'Hookpost API is listening');
  onShutdown(deps.logger, async () => {
    await app.close();
    await deps.close();
  });
});
