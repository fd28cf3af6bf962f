import type { Logger } from 'pino';
import { ensureAdminKey } from '../auth/apiKeys.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { ensureDatabase, migrate } from '../db/migrations.ts';

export async function prepareDatabase(config: Config, logger: Logger): Promise<void> {
  if (await ensureDatabase(config.databaseUrl)) logger.info('created database');
  const applied = await migrate(config.databaseUrl);
  if (applied.length) logger.info({ applied }, 'applied migrations');
}

/** Prints a bootstrap admin key the first time the service starts without HOOKPOST_ADMIN_KEY. */
export async function announceAdminKey(db: Db, config: Config): Promise<void> {
  const key = await ensureAdminKey(db, config.adminKey);
  if (!key) return;
  process.stdout.write(
    `\n  Hookpost created an admin API key. It is shown only this once; store it now:\n\n    ${key}\n\n`,
  );
}
