import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { parseEncryptionKeys } from './secretBox.ts';

/**
 * The configured key, or in development and tests a key kept in a git-ignored local file
 * (created on first use). Production refuses to start without an explicit key.
 */
export async function resolveEncryptionKeys(config: Config): Promise<Buffer[]> {
  if (config.encryption.key) return parseEncryptionKeys(config.encryption.key);
  if (config.env === 'production') {
    throw new Error('HOOKPOST_ENCRYPTION_KEY is required in production: set it to `openssl rand -base64 32` and keep it safe');
  }
  const file = path.resolve(config.encryption.keyFile);
  try {
    return parseEncryptionKeys((await readFile(file, 'utf8')).trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32).toString('base64');
  await mkdir(path.dirname(file), { recursive: true });
  // wx: if two processes race, one writes and the other reads what it wrote.
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' }).catch(async (err) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  });
  return parseEncryptionKeys((await readFile(file, 'utf8')).trim());
}
