// The README's five-minute tour, run as written: its marked shell blocks, in order, in one bash
// session, against what `npm start` runs, with the receiver the tour itself starts (which verifies
// every signature with hookpost/verify). Only the ports and the printed admin key are put in.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { expect, inject, it, onTestFinished } from 'vitest';
import { createTestDatabase, dropTestDatabase } from '../support/database.ts';
import { SERVER_URL } from '../support/env.ts';
import { connectionRefused, exited, freePort, spawnEntry } from '../support/processes.ts';
import { waitUntil } from '../support/wait.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const STEPS = ['start', 'setup', 'project', 'webhook', 'receiver', 'watch', 'publish', 'forgery', 'log'] as const;

interface TourBlock {
  name: string;
  script: string;
}

/** The tour's section of the README and its marked blocks: `<!-- tour:name -->` right above a sh fence. */
function readTour(readme: string): { section: string; blocks: TourBlock[] } {
  const start = readme.indexOf('\n## A five-minute tour\n');
  expect(start, 'the README has a "## A five-minute tour" section').toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const blocks = [...section.matchAll(/<!-- tour:([a-z]+) -->\n```sh\n([\s\S]*?)```/g)].map((m) => ({ name: m[1], script: m[2] }));
  return { section, blocks };
}

/** The GraphQL answer a block printed (background jobs may print lines of their own around it). */
function answer(printed: string): any {
  const line = printed.split('\n').find((l) => l.startsWith('{"data"') || l.startsWith('{"errors"'));
  if (!line) throw new Error(`no GraphQL answer in:\n${printed}`);
  return JSON.parse(line);
}

/** A bash session fed block by block, as a person pastes them into one terminal. */
function startShell(cwd: string) {
  const child: ChildProcess = spawn('bash', ['--noprofile', '--norc'], {
    cwd,
    // Nothing of the test's own environment (NODE_OPTIONS, a real HOOKPOST_*), as in a fresh terminal.
    env: { PATH: process.env.PATH, HOME: cwd, LANG: 'C.UTF-8' },
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group, so that the background jobs it starts go with it.
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  child.stdin?.write('set -euo pipefail\n');
  let step = 0;
  return {
    output: () => output,
    /** Runs a script in the session and returns what it printed (background jobs may print later). */
    async run(script: string): Promise<string> {
      const marker = `__tour_step_${++step}_done__`;
      const from = output.length;
      child.stdin?.write(`${script}\necho ${marker}\n`);
      await waitUntil(
        () => {
          if (child.exitCode !== null) throw new Error(`the shell exited (${child.exitCode}) in:\n${script}\nIt printed:\n${output}`);
          return output.includes(marker);
        },
        30_000,
        () => `the block to finish:\n${script}\nThe session printed:\n${output}`,
      );
      return output.slice(from, output.indexOf(marker));
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-child.pid!, 'SIGKILL');
        await exited(child);
      }
    },
  };
}

it('runs the README tour: a delivery arrives, its signature verifies, the stream shows it, a forgery is refused', { timeout: 120_000 }, async () => {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const { section, blocks } = readTour(readme);
  // Every sh block of the tour is marked, so none can drift out of the test.
  expect(blocks.length).toBe([...section.matchAll(/```sh\n/g)].length);
  expect(blocks.map((b) => b.name)).toEqual([...STEPS]);

  // `VARIABLE=value … npm start`: the service is the bundle `npm start` runs, with those variables.
  const startLine = /^((?:[A-Z_]+=\S+ )*)npm start\n$/.exec(blocks[0].script);
  expect(startLine, blocks[0].script).not.toBeNull();
  const tourEnv = Object.fromEntries(
    startLine![1]
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => pair.split('=') as [string, string]),
  );
  expect(tourEnv).toHaveProperty('HOOKPOST_ALLOWED_NETWORKS');

  const database = await createTestDatabase();
  onTestFinished(() => dropTestDatabase(database));
  const apiPort = await freePort();
  const receiverPort = await freePort();
  const redisPrefix = `hookpost-tour-${process.pid}`;
  const service = spawnEntry('dist/server/start.js', {
    PATH: process.env.PATH,
    NODE_ENV: 'development',
    DATABASE_URL: `${SERVER_URL}/${database}`,
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    HOOKPOST_REDIS_PREFIX: redisPrefix,
    HOOKPOST_ENCRYPTION_KEY_FILE: path.join(await mkdtemp(path.join(tmpdir(), 'hookpost-tour-')), 'encryption.key'),
    LOG_LEVEL: 'info',
    ...tourEnv,
  });
  onTestFinished(async () => {
    service.kill('SIGKILL');
    await exited(service);
  });
  await waitUntil(
    () => service.output().includes('Hookpost is listening'),
    60_000,
    () => `the service to listen; it printed:\n${service.output()}`,
  );
  const adminKey = /hpk_[A-Za-z0-9_-]{43}/.exec(service.output())?.[0];
  expect(adminKey, service.output()).toBeDefined();

  // What a reader types differently: this machine's free ports for 4000 and 3000, and the printed key.
  const substitutions: [string, string][] = [
    ['http://localhost:4000', `http://127.0.0.1:${apiPort}`],
    ['http://localhost:3000', `http://127.0.0.1:${receiverPort}`],
    ['.listen(3000)', `.listen(${receiverPort}, '127.0.0.1')`],
    ['hpk_…', adminKey!],
  ];
  for (const [literal] of substitutions) expect(section, `the tour uses ${literal}`).toContain(literal);
  const script = (name: (typeof STEPS)[number]) =>
    substitutions.reduce((s, [literal, actual]) => s.replaceAll(literal, actual), blocks.find((b) => b.name === name)!.script);

  // The tour's receiver imports `hookpost/verify`: run it where that resolves as in a checkout, beside
  // the package as built (the global setup's copy, with its package.json and dist/).
  const shell = startShell(await mkdtemp(path.join(inject('builtPackageDir'), 'tour-')));
  onTestFinished(() => shell.kill());
  const redis = new Redis('redis://127.0.0.1:6379');
  onTestFinished(() => void redis.quit());

  await shell.run(script('setup'));

  await shell.run(script('project'));
  expect(await shell.run('echo "$PROJECT $KEY"')).toMatch(/^prj_[0-9a-f]{32} hpk_[A-Za-z0-9_-]{43}$/m);

  await shell.run(script('webhook'));
  expect(await shell.run('echo "$SECRET"')).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/m);

  await shell.run(script('receiver'));
  await waitUntil(
    async () => !(await connectionRefused(receiverPort)),
    15_000,
    () => `the receiver to listen; the session printed:\n${shell.output()}`,
  );

  await shell.run(script('watch'));
  // The stream is live once the API has subscribed to the attempts' channel.
  const channel = `${redisPrefix}:deliveryAttemptCreated`;
  await waitUntil(
    async () => ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1] >= 1,
    15_000,
    () => `the stream to subscribe; the session printed:\n${shell.output()}`,
  );

  const published = answer(await shell.run(script('publish')));
  expect(published).toEqual({ data: { publishEvent: { event: { id: expect.stringMatching(/^evt_/) }, deliveryCount: 1 } } });

  // The receiver answers 204 only to a request whose signature hookpost/verify accepted.
  await waitUntil(
    () => shell.output().includes('receiver: verified order.shipped {"orderId":"ord_42"}'),
    30_000,
    () => `the receiver to verify the delivery; the session printed:\n${shell.output()}`,
  );
  const streamed = await waitUntil(
    () =>
      shell
        .output()
        .split('\n')
        .find((line) => line.startsWith('data: ') && line.includes('deliveryAttemptCreated')),
    15_000,
    () => `the stream to show the attempt; the session printed:\n${shell.output()}`,
  );
  expect(JSON.parse(streamed.slice('data: '.length))).toEqual({
    data: {
      deliveryAttemptCreated: { attemptNumber: 1, responseStatus: 204, succeeded: true, delivery: { status: 'SUCCEEDED', event: { type: 'order.shipped' } } },
    },
  });

  expect(await shell.run(script('forgery'))).toContain('401\n');
  await waitUntil(
    () => shell.output().includes('receiver: refused INVALID_SIGNATURE'),
    5_000,
    () => `the receiver to refuse the forgery; the session printed:\n${shell.output()}`,
  );

  const log = answer(await shell.run(script('log')));
  expect(log.data.deliveries.edges).toEqual([
    {
      node: {
        status: 'SUCCEEDED',
        attemptCount: 1,
        event: { type: 'order.shipped' },
        attempts: { edges: [{ node: { responseStatus: 204, durationMs: expect.any(Number) } }] },
      },
    },
  ]);
});
