import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { ensureDatabase, migrate } from './migrations.ts';

/** Creates the database when it is missing and applies pending migrations. */
export async function prepareDatabase(config: Config, logger: Logger): Promise<void> {
  if (await ensureDatabase(config.databaseUrl)) logger.info('created database');
  const applied = await migrate(config.databaseUrl);
  if (applied.length) logger.info({ applied }, 'applied migrations');
}
