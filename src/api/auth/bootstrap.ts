import type { Config } from '../../core/config.ts';
import type { Db } from '../../core/db/client.ts';
import { ensureAdminKey } from './apiKeys.ts';

/** Prints a bootstrap admin key the first time the service starts without HOOKPOST_ADMIN_KEY. */
export async function announceAdminKey(db: Db, config: Config): Promise<void> {
  const key = await ensureAdminKey(db, config.adminKey);
  if (!key) return;
  process.stdout.write(`\n  Hookpost created an admin API key. It is shown only this once; store it now:\n\n    ${key}\n\n`);
}
