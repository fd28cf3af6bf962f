import { pino, type Logger } from 'pino';
import PinoPretty from 'pino-pretty';
import type { Config } from './config.ts';

export interface LogOutput {
  /** Whether the output is a terminal a person reads. */
  isTTY: boolean;
  /** Where lines go; standard output by default. */
  destination?: NodeJS.WritableStream;
}

/**
 * JSON lines for log collectors; one readable, coloured line per entry when a developer watches a
 * terminal. Production is always JSON, whatever the terminal.
 */
export function createLogger(config: Config, out: LogOutput = { isTTY: process.stdout.isTTY === true }): Logger {
  const options = { level: config.logLevel, base: { service: 'hookpost' } };
  if (config.env !== 'production' && out.isTTY) {
    return pino(
      options,
      PinoPretty({
        singleLine: true,
        colorize: out.destination === undefined,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,service',
        destination: out.destination ?? 1,
        sync: true,
      }),
    );
  }
  return out.destination ? pino(options, out.destination) : pino(options);
}
