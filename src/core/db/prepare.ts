import type { Logger } from 'pino';
import pg from 'pg';
import type { Config } from '../config.ts';
import { defaultProjectSettings, storedForm } from '../delivery/projectSettings.ts';
import { ensureDatabase, migrate } from './migrations.ts';

/**
 * Creates the database when it is missing, applies pending migrations, and gives every project
 * without delivery settings of its own the deployment's (the environment's) as they are now.
 */
export async function prepareDatabase(config: Config, logger: Logger): Promise<void> {
  if (await ensureDatabase(config.databaseUrl)) logger.info('created database');
  const applied = await migrate(config.databaseUrl);
  if (applied.length) logger.info({ applied }, 'applied migrations');
  const adopted = await adoptProjectSettings(config);
  if (adopted) logger.info({ projects: adopted }, "gave projects without delivery settings the deployment's");
}

/**
 * Projects made before they had settings of their own (or written by hand) keep what their
 * receivers get today: each setting they lack is filled in once from the deployment's. A later
 * start with other environment values changes nothing for them.
 */
export async function adoptProjectSettings(config: Config): Promise<number> {
  const s = storedForm(defaultProjectSettings(config.delivery));
  const client = new pg.Client({ connectionString: config.databaseUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      `UPDATE projects
          SET header_prefix = COALESCE(header_prefix, $1), signature_format = COALESCE(signature_format, $2),
              envelope = COALESCE(envelope, $3), user_agent = COALESCE(user_agent, $4),
              retry_policy = COALESCE(retry_policy, $5::jsonb), disable_after_failures = COALESCE(disable_after_failures, $6)
        WHERE header_prefix IS NULL OR signature_format IS NULL OR envelope IS NULL OR user_agent IS NULL
           OR retry_policy IS NULL OR disable_after_failures IS NULL`,
      [s.headerPrefix, s.signatureFormat, s.envelope, s.userAgent, JSON.stringify(s.retryPolicy), s.disableAfterFailures],
    );
    return rowCount ?? 0;
  } finally {
    await client.end();
  }
}
