import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.ts';
import { judgeMemoryPolicy } from '../../src/core/redisMemoryPolicy.ts';
import { type RedisSettings, redisPlan } from '../../src/core/redisOptions.ts';

const base = { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: undefined, enableAutoPipelining: false };
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const fn = expect.any(Function);

describe('redisPlan', () => {
  it.each<[string, RedisSettings, unknown]>([
    ['a plain URL', { url: 'redis://127.0.0.1:6379', mode: 'single' }, { mode: 'single', options: { ...base, host: '127.0.0.1', port: 6379, db: 0 } }],
    [
      'user, password (percent-encoded) and database',
      { url: 'redis://app:p%40ss@cache.internal:6380/3', mode: 'single' },
      { mode: 'single', options: { ...base, host: 'cache.internal', port: 6380, username: 'app', password: 'p@ss', db: 3 } },
    ],
    [
      'a password alone, default port',
      { url: 'redis://:secret@cache', mode: 'single' },
      { mode: 'single', options: { ...base, host: 'cache', port: 6379, password: 'secret', db: 0 } },
    ],
    [
      'rediss:// checks against the system CAs',
      { url: 'rediss://:secret@cache:6380', mode: 'single' },
      { mode: 'single', options: { ...base, host: 'cache', port: 6380, password: 'secret', db: 0, tls: {} } },
    ],
    [
      'rediss:// with a private CA',
      { url: 'rediss://cache:6380/1', mode: 'single', tlsCa: CA },
      { mode: 'single', options: { ...base, host: 'cache', port: 6380, db: 1, tls: { ca: CA } } },
    ],
    ['an IPv6 literal', { url: 'redis://[::1]:7000', mode: 'single' }, { mode: 'single', options: { ...base, host: '::1', port: 7000, db: 0 } }],
    [
      'cluster: one URL is a seed, with its auth and TLS for every node',
      { url: 'rediss://:pw@10.0.0.1:7000', mode: 'cluster', tlsCa: CA },
      {
        mode: 'cluster',
        nodes: [{ host: '10.0.0.1', port: 7000 }],
        options: {
          lazyConnect: undefined,
          enableAutoPipelining: false,
          enableReadyCheck: true,
          redisOptions: { maxRetriesPerRequest: null, enableReadyCheck: true, password: 'pw', tls: { ca: CA } },
          dnsLookup: fn,
        },
      },
    ],
    [
      'cluster: several URLs, credentials given once',
      { url: 'redis://user:pw@a:7000, redis://b:7001,redis://c', mode: 'cluster' },
      {
        mode: 'cluster',
        nodes: [
          { host: 'a', port: 7000 },
          { host: 'b', port: 7001 },
          { host: 'c', port: 6379 },
        ],
        options: {
          lazyConnect: undefined,
          enableAutoPipelining: false,
          enableReadyCheck: true,
          redisOptions: { maxRetriesPerRequest: null, enableReadyCheck: true, username: 'user', password: 'pw' },
        },
      },
    ],
    [
      'sentinel: the sentinels, their password, the master group and its password',
      { url: 'redis://:spw@s1:26379,redis://s2,redis://s3:26380/2', mode: 'sentinel', sentinelMaster: 'main', masterPassword: 'mpw' },
      {
        mode: 'sentinel',
        options: {
          ...base,
          sentinels: [
            { host: 's1', port: 26379 },
            { host: 's2', port: 26379 },
            { host: 's3', port: 26380 },
          ],
          name: 'main',
          sentinelPassword: 'spw',
          password: 'mpw',
          db: 2,
          failoverDetector: true,
          reconnectOnError: fn,
        },
      },
    ],
    [
      'sentinel over TLS: sentinels and master alike',
      { url: 'rediss://s1:26379', mode: 'sentinel', sentinelMaster: 'main', tlsCa: CA },
      {
        mode: 'sentinel',
        options: {
          ...base,
          sentinels: [{ host: 's1', port: 26379 }],
          name: 'main',
          db: 0,
          failoverDetector: true,
          reconnectOnError: fn,
          tls: { ca: CA },
          sentinelTLS: { ca: CA },
          enableTLSForSentinelMode: true,
        },
      },
    ],
  ])('%s', (_name, settings, plan) => {
    // toEqual: an option left undefined is one not set.
    expect(redisPlan(settings)).toEqual(plan);
  });

  it('passes the caller’s lazy connect and auto-pipelining on', () => {
    expect(redisPlan({ url: 'redis://a', mode: 'single' }, { lazyConnect: true, autoPipelining: true }).options).toMatchObject({
      lazyConnect: true,
      enableAutoPipelining: true,
    });
    expect(redisPlan({ url: 'redis://a', mode: 'cluster' }, { lazyConnect: true, autoPipelining: true }).options).toMatchObject({
      lazyConnect: true,
      enableAutoPipelining: true,
    });
  });

  it('reconnects a sentinel client on READONLY only', () => {
    const plan = redisPlan({ url: 'redis://s1', mode: 'sentinel', sentinelMaster: 'm' });
    const onError = (plan.options as { reconnectOnError: (err: Error) => unknown }).reconnectOnError;
    expect(onError(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(onError(new Error('ERR wrong number of arguments'))).toBe(false);
  });

  it.each<[string, RedisSettings, string]>([
    ['several URLs in single mode', { url: 'redis://a,redis://b', mode: 'single' }, 'HOOKPOST_REDIS_MODE=single takes one'],
    ['mixed schemes', { url: 'redis://a,rediss://b', mode: 'cluster' }, 'mixes redis:// and rediss://'],
    ['a CA without TLS', { url: 'redis://a', mode: 'single', tlsCa: CA }, 'HOOKPOST_REDIS_TLS_CA_FILE: set, but REDIS_URL is not rediss://'],
    ['a database in a cluster', { url: 'redis://a/1', mode: 'cluster' }, 'only database 0'],
    ['sentinel without a master name', { url: 'redis://s1', mode: 'sentinel' }, 'HOOKPOST_REDIS_SENTINEL_MASTER: required'],
    ['a master name outside sentinel mode', { url: 'redis://a', mode: 'single', sentinelMaster: 'm' }, 'only for HOOKPOST_REDIS_MODE=sentinel'],
    ['a path that is no database', { url: 'redis://a/cache', mode: 'single' }, 'not a database number'],
    ['another scheme', { url: 'http://a', mode: 'single' }, 'is not redis: or rediss:'],
  ])('refuses %s', (_name, settings, message) => {
    expect(() => redisPlan(settings)).toThrow(message);
  });
});

describe('the Redis variables in loadConfig', () => {
  let dir: string;
  let caFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hookpost-redis-config-'));
    caFile = path.join(dir, 'ca.pem');
    await writeFile(caFile, CA);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each<[string, Record<string, string>, Partial<RedisSettings>, string]>([
    ['the default', {}, { mode: 'single' }, 'hookpost'],
    ['several URLs without a mode', { REDIS_URL: 'redis://a:1,redis://b:2' }, { mode: 'cluster' }, '{hookpost}'],
    ['one URL in cluster mode', { REDIS_URL: 'redis://a:1', HOOKPOST_REDIS_MODE: 'cluster' }, { mode: 'cluster' }, '{hookpost}'],
    [
      'a prefix with its own hash tag',
      { REDIS_URL: 'redis://a:1', HOOKPOST_REDIS_MODE: 'cluster', HOOKPOST_REDIS_PREFIX: 'hp{x}' },
      { mode: 'cluster' },
      'hp{x}',
    ],
    [
      'several sentinels',
      { REDIS_URL: 'redis://s1,redis://s2', HOOKPOST_REDIS_MODE: 'sentinel', HOOKPOST_REDIS_SENTINEL_MASTER: 'm', HOOKPOST_REDIS_MASTER_PASSWORD: 'pw' },
      { mode: 'sentinel', sentinelMaster: 'm', masterPassword: 'pw' },
      'hookpost',
    ],
  ])('%s', (_name, env, settings, prefix) => {
    const config = loadConfig(env);
    expect(config.redis).toMatchObject(settings);
    expect(config.redisPrefix).toBe(prefix);
  });

  it('reads the CA file', () => {
    expect(loadConfig({ REDIS_URL: 'rediss://a', HOOKPOST_REDIS_TLS_CA_FILE: caFile }).redis.tlsCa).toBe(CA);
  });

  it.each([
    [{ REDIS_URL: 'rediss://a', HOOKPOST_REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' }, 'HOOKPOST_REDIS_TLS_CA_FILE: cannot read it'],
    [{ HOOKPOST_REDIS_MODE: 'sentinel' }, 'HOOKPOST_REDIS_SENTINEL_MASTER: required'],
    [{ HOOKPOST_REDIS_MODE: 'replica' }, 'HOOKPOST_REDIS_MODE'],
    [{ REDIS_URL: 'redis://a,redis://b', HOOKPOST_REDIS_MODE: 'single' }, 'REDIS_URL: several URLs'],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('judgeMemoryPolicy', () => {
  it.each<[string, Parameters<typeof judgeMemoryPolicy>[0], string, RegExp]>([
    ['noeviction', [{ node: 'a:1', reply: ['maxmemory-policy', 'noeviction'] }], 'ok', /^noeviction$/],
    ['a RESP3 map reply', [{ node: 'a:1', reply: { 'maxmemory-policy': 'noeviction' } }], 'ok', /^noeviction$/],
    ['an evicting policy', [{ node: 'a:1', reply: ['maxmemory-policy', 'allkeys-lru'] }], 'evicting', /allkeys-lru on a:1.*noeviction/],
    [
      'one evicting master among several, one unanswered',
      [
        { node: 'a:1', reply: ['maxmemory-policy', 'noeviction'] },
        { node: 'b:2', reply: ['maxmemory-policy', 'volatile-ttl'] },
        { node: 'c:3', error: 'timed out' },
      ],
      'evicting',
      /^maxmemory-policy is volatile-ttl on b:2:/,
    ],
    ['CONFIG refused', [{ node: 'a:1', error: "ERR unknown command 'CONFIG'" }], 'unknown', /^could not check maxmemory-policy \(a:1: ERR unknown command/],
    ['an empty reply', [{ node: 'a:1', reply: [] }], 'unknown', /no maxmemory-policy in the reply/],
    ['no node', [], 'unknown', /no Redis node/],
  ])('%s', (_name, answers, state, message) => {
    const check = judgeMemoryPolicy(answers);
    expect(check.state).toBe(state);
    expect(check.message).toMatch(message);
  });
});
