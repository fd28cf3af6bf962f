// `npm run db:migrate`: create the database if missing and apply pending migrations.
import { pino } from 'pino';
import { loadConfig } from '../core/config.ts';
import { run } from '../core/lifecycle.ts';
import { prepareDatabase } from '../core/db/prepare.ts';

run(async () => {
  const config = loadConfig();
  await prepareDatabase(config, pino({ level: config.logLevel }));
});
