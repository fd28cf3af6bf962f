import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/core/db/migrations.ts';
import { withAdmin } from './database.ts';
import { SERVER_URL, templateDatabase } from './env.ts';

/** Whether the run that named a database `hookpost_test_<pid>…` is still alive on this machine. */
function ownerAlive(datname: string): boolean {
  const pid = Number(/^hookpost_test_(\d+)/.exec(datname)?.[1]);
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** A copy of the package as installed: its package.json and the built dist/, outside the repo. */
    builtPackageDir: string;
  }
}

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Builds hookpost/verify with the package's own build script, into a temporary directory with the
 * package's name and exports map, so that plain Node can import it there as `hookpost/verify`.
 * The repository's dist/ is left alone.
 */
async function buildPackage(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hookpost-package-'));
  await promisify(execFile)('npm', ['run', 'build:verify', '--silent', '--', '--outDir', path.join(dir, 'dist')], { cwd: ROOT });
  const { name, type, exports } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, type, exports }, null, 2));
  return dir;
}

/** Bundles the entry points into dist/server, as `npm start` does before it runs them. */
async function buildServer(): Promise<void> {
  await promisify(execFile)('npm', ['run', 'build:server', '--silent'], { cwd: ROOT });
}

/**
 * Builds a freshly migrated template database for this run; each test file clones it
 * (CREATE DATABASE … TEMPLATE). Leftovers of runs that are gone are dropped; another live run's
 * databases are left alone. Builds the shipped package alongside.
 */
export default async function setup(project?: TestProject): Promise<() => Promise<void>> {
  process.env.HOOKPOST_TEST_TEMPLATE_DB = `hookpost_test_${process.pid}`;
  const template = templateDatabase();
  // Only vitest runs tests that use the package (a script calling this passes no project).
  const built = project ? buildPackage() : undefined;
  built?.catch(() => {}); // reported where it is awaited, below
  // Tests that start service processes run the bundle `npm start` runs, built from this checkout.
  const server = project ? buildServer() : undefined;
  server?.catch(() => {});
  await withAdmin(async (admin) => {
    const leftovers = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'hookpost\\_test%'");
    for (const { datname } of leftovers.rows) {
      if (!ownerAlive(datname)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE "${template}"`);
  });
  await migrate(`${SERVER_URL}/${template}`);
  await server;
  const builtPackageDir = await built;
  if (builtPackageDir) project?.provide('builtPackageDir', builtPackageDir);
  return async () => {
    if (builtPackageDir) await rm(builtPackageDir, { recursive: true, force: true });
    await withAdmin(async (admin) => {
      const clones = `${template.replaceAll('_', '\\_')}\\_%`;
      const mine = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [clones]);
      for (const datname of [...mine.rows.map((r) => r.datname), template]) {
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    });
  };
}
