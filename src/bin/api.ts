import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { createDeps } from '../deps.ts';
import { announceAdminKey, prepareDatabase } from './prepare.ts';
import { onShutdown } from './shutdown.ts';

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
