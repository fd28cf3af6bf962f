import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort, spawnEntry } from '../../support/processes.ts';
import { stopChild, track } from './children.ts';
import { now, pollUntil } from './clock.ts';
import { createStackDatabase, dropDatabase, PG_SERVER } from './databases.ts';
import { createProject, createWebhook, eventData } from './fixtures.ts';
import { closedLoop, publishEvent } from './publish.ts';
import { detectFeatures, type Features, type Gql, gqlClient } from './gql.ts';
import type { Progress } from './log.ts';
import type { Receiver } from './receiver.ts';
import { type RssSampler, sampleRss } from './rss.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
/** Worker slots per process; the raw ceiling uses as many concurrent requests. */
export const WORKER_CONCURRENCY = 64;
/**
 * The longest lease a delivery is held under (the worker's own, set to its default here so that the
 * bench knows it): a second send of a delivery could only come after one ran out, so duplicates
 * are counted this long after a run completed.
 */
export const LEASE_MS = 30_000;
const ADMIN_KEY = `hpk_bench_${randomBytes(16).toString('hex')}`;
const ENCRYPTION_KEY = randomBytes(32).toString('base64');

/** A deployment as in production: the API and N workers as separate processes, on their own database. */
export interface Stack {
  label: string;
  apiUrl: string;
  admin: Gql;
  /** A client holding the project's key, as a customer's backend would. */
  gql: Gql;
  projectId: string;
  key: string;
  features: Features;
  /** Read access to the stack's database, to check what was committed. */
  db: pg.Pool;
  apiPid: number;
  workerPids: number[];
  rss: RssSampler;
  /** Warms the stack up again, as at its start, after it sat idle (e.g. while a phase seeded its database). */
  rewarm(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  label: string;
  workers?: number;
  /**
   * Events sent after the first delivery made it end to end, before anything is measured (2,000 by
   * default, see warmUp); 0 leaves the stack as a deploy does, cold.
   */
  warmUpEvents?: number;
  /** Service settings that differ from the defaults, for API and workers alike. */
  env?: Record<string, string>;
  receiver: Receiver;
  logDir: string;
  progress: Progress;
}

/** Each stack's peak RSS, sampled while it ran, for the report. */
export const rssPeaks: { stack: string; apiMB: number; workerMB: number }[] = [];

/** How to take down each stack still up, for an interrupted run. */
const openStacks = new Set<() => Promise<void>>();
let stackSeq = 0;

function serviceEnv(databaseUrl: string, redisPrefix: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    HOOKPOST_REDIS_PREFIX: redisPrefix,
    HOOKPOST_ADMIN_KEY: ADMIN_KEY,
    HOOKPOST_ENCRYPTION_KEY: ENCRYPTION_KEY,
    // The receiver is plain http on loopback, which production refuses unless allowed.
    HOOKPOST_ALLOW_HTTP: 'true',
    HOOKPOST_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128',
    HOOKPOST_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    HOOKPOST_LEASE_MS: String(LEASE_MS),
    ...extra,
  };
}

/** Redis connections named under the prefix: BullMQ names each worker's blocking connection so. */
async function namedConnections(redis: Redis, prefix: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((line) => / name=(\S+)/.exec(line)?.[1].startsWith(`${prefix}:`)).length;
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

type Service = ChildProcess & { output: () => string };

function failIfExited(child: Service, what: string): void {
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}):\n${child.output().slice(-2000)}`);
  }
}

const WARMUP_EVENTS = 2000;
const seconds = (ms: number) => (ms / 1000).toFixed(1);

/**
 * One delivery end to end proves the whole path works; `events` more let the processes reach their
 * steady state (JIT, connection pools, caches) before anything is measured, as a service that has
 * been up for a while would be: with a few hundred, a cold stack's first seconds at 500/s decided
 * the latency phase's p99 (docs/performance.md, Method). The cold start has a row of its own.
 */
async function warmUp(
  db: pg.Pool,
  gql: Gql,
  features: Features,
  o: StackOptions,
  label: string,
  checkAlive: () => void,
  type = 'bench.warmup',
  events = WARMUP_EVENTS,
): Promise<void> {
  const tag = `warmup-${label}`;
  const webhookId = await createWebhook(gql, features, { url: o.receiver.url(`/warmup/${label}`), events: [type] });
  let seq = 0;
  const delivered = await pollUntil(
    async () => {
      checkAlive();
      if (o.receiver.count(tag) > 0) return true;
      await publishEvent(gql, type, eventData(tag, seq++));
      return pollUntil(() => o.receiver.count(tag) > 0, 2000, 20);
    },
    120_000,
    0,
  );
  if (!delivered) throw new Error('no warm-up delivery arrived in 120 s');
  const tally = await closedLoop(gql, { type, tag, total: events, clients: 8, deadline: now() + 30_000 });
  const expected = seq + tally.published;
  await o.receiver.waitForCount(tag, expected, 30_000);
  o.receiver.forget(tag);
  // Nothing is measured before the warm-up's attempts are committed.
  const recorded = async () => {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM delivery_attempts WHERE webhook_id = $1 AND succeeded', [webhookId]);
    return rows[0].n >= expected;
  };
  await pollUntil(recorded, 30_000, 50);
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const label = `${o.label}-${++stackSeq}`;
  const databaseName = `hookpost_bench_${process.pid}_${stackSeq}`;
  const databaseUrl = `${PG_SERVER}/${databaseName}`;
  const redisPrefix = `hookpost-bench-${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const redis = new Redis(REDIS_URL);
  const children: Service[] = [];
  let db: pg.Pool | undefined;
  const clients: Gql[] = [];
  let rss: RssSampler | undefined;

  const stop = async () => {
    const stopping = now();
    openStacks.delete(stop);
    rss?.stop();
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await Promise.all(children.map((c) => stopChild(c)));
    await mkdir(o.logDir, { recursive: true });
    await Promise.all(
      children.map((c, i) => {
        const output = c.output();
        return output ? writeFile(path.join(o.logDir, `${label}-${i === 0 ? 'api' : `worker${i}`}.log`), output) : undefined;
      }),
    );
    await db?.end().catch(() => {});
    await dropDatabase(databaseName);
    await deleteKeys(redis, redisPrefix).catch(() => {});
    redis.disconnect();
    const peak = rss?.peak();
    if (peak) rssPeaks.push({ stack: label, apiMB: Math.round(peak.api), workerMB: Math.round(peak.worker) });
    const peakNote = peak ? `; peak RSS API ${Math.round(peak.api)} MB, worker ${Math.round(peak.worker)} MB` : '';
    o.progress(`stack ${label} down in ${((now() - stopping) / 1000).toFixed(1)} s${peakNote}`);
  };
  openStacks.add(stop);

  try {
    const started = now();
    await createStackDatabase(databaseName);
    const api = track(spawnEntry('dist/server/api.js', serviceEnv(databaseUrl, redisPrefix, { ...o.env, HOST: '127.0.0.1', PORT: String(port) }))) as Service;
    children.push(api);
    // The database is migrated already (a copy of the template), so the workers boot beside the API.
    const healthy = pollUntil(
      async () => {
        failIfExited(api, 'the API');
        return fetch(`${apiUrl}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      120_000,
      100,
    );
    const workers = o.workers ?? 1;
    const before = await namedConnections(redis, redisPrefix);
    for (let i = 0; i < workers; i++) children.push(track(spawnEntry('dist/server/worker.js', serviceEnv(databaseUrl, redisPrefix, { ...o.env }))) as Service);
    const up = await pollUntil(
      async () => {
        children.slice(1).forEach((w, i) => failIfExited(w, `worker ${i + 1}`));
        return (await namedConnections(redis, redisPrefix)) >= before + workers;
      },
      60_000,
      100,
    );
    if (!up) o.progress(`not every worker opened a named Redis connection in 60 s; going on`);
    if (!(await healthy)) throw new Error(`the API did not answer /healthz in 120 s:\n${api.output().slice(-2000)}`);
    const booted = now();
    const admin = gqlClient(apiUrl, ADMIN_KEY, 16);
    clients.push(admin);
    const features = await detectFeatures(admin);
    const { projectId, key } = await createProject(admin, `bench ${label}`);
    const gql = gqlClient(apiUrl, key);
    clients.push(gql);
    db = new pg.Pool({ connectionString: databaseUrl, max: 3 });

    const checkAlive = () => children.forEach((c, i) => failIfExited(c, i === 0 ? 'the API' : `worker ${i}`));
    await warmUp(db, gql, features, o, label, checkAlive, 'bench.warmup', o.warmUpEvents ?? WARMUP_EVENTS);

    const [apiProc, ...workerProcs] = children;
    rss = sampleRss(
      apiProc.pid!,
      workerProcs.map((w) => w.pid!),
    );
    o.progress(
      `stack ${label} up in ${seconds(now() - started)} s (processes ${seconds(booted - started)} s, warm-up ${seconds(now() - booted)} s; ${workerProcs.length} worker${workerProcs.length > 1 ? 's' : ''}; bulk publish ${features.publishEventsInput ? 'yes' : 'no'}, maxConcurrency ${features.maxConcurrency ? 'yes' : 'no'})`,
    );
    return {
      label,
      stop,
      apiUrl,
      admin,
      gql,
      projectId,
      key,
      features,
      db,
      apiPid: apiProc.pid!,
      workerPids: workerProcs.map((w) => w.pid!),
      rss,
      rewarm: () => warmUp(db!, gql, features, o, `${label}-again`, checkAlive, 'bench.rewarm', o.warmUpEvents ?? WARMUP_EVENTS),
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

/** Runs `fn` on a fresh stack and always takes the stack down afterwards. */
export async function withStack<T>(o: StackOptions, fn: (stack: Stack) => Promise<T>): Promise<T> {
  const stack = await startStack(o);
  try {
    return await fn(stack);
  } finally {
    await stack.stop();
  }
}

/** For an interrupted run: takes down every stack still up (children, database, Redis keys). */
export async function stopAllStacks(): Promise<void> {
  await Promise.all([...openStacks].map((stop) => stop().catch(() => {})));
}
