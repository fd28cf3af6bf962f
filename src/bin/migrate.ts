import { pino } from 'pino';
import { loadConfig } from '../config.ts';
import { prepareDatabase } from './prepare.ts';

const config = loadConfig();
await prepareDatabase(config, pino({ level: config.logLevel }));
