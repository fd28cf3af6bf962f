// `npm run db:migrate`: create the database if missing and apply pending migrations.
import { pino } from 'pino';
import { loadConfig } from '../config.ts';
import { run } from './lifecycle.ts';
import { prepareDatabase } from './prepare.ts';

run(async () => {
  const config = loadConfig();
  await prepareDatabase(config, pino({ level: config.logLevel }));
});
