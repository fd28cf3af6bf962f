import type { CoreDeps } from '../core/deps.ts';
import { sealPlaintextHeaders } from '../core/crypto/sealHeaderRows.ts';
import { prepareDatabase } from '../core/db/prepare.ts';
import { buildApp, type App } from './app.ts';
import { announceAdminKey } from './auth/bootstrap.ts';

/**
 * The API as a service: the database is created and migrated first, a bootstrap admin key is printed
 * when there is none, plaintext sensitive header values are sealed, then the server listens on the
 * configured host and port.
 */
export async function startApi(deps: CoreDeps): Promise<App> {
  await prepareDatabase(deps.config, deps.logger);
  await announceAdminKey(deps.db, deps.config);
  // Header values stored before sealing existed (the migration cannot encrypt them) are sealed now.
  const sealed = await sealPlaintextHeaders(deps.db, deps.secretBox);
  if (sealed) deps.logger.info({ webhooks: sealed }, 'sealed sensitive header values stored in the clear');
  const app = buildApp(deps);
  const url = await app.listen(deps.config.port, deps.config.host);
  deps.logger.info({ url: `${url}/graphql` }, 'Hookpost is listening');
  return app;
}
