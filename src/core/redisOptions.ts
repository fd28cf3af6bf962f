import type { ConnectionOptions } from 'node:tls';
import type { ClusterOptions, RedisOptions } from 'ioredis';

/** How Hookpost reaches Redis: one server, a Redis Cluster, or a master found through Sentinel. */
export const REDIS_MODES = ['single', 'cluster', 'sentinel'] as const;
export type RedisMode = (typeof REDIS_MODES)[number];

/** The Redis part of the configuration, as read from the environment (see config.ts). */
export interface RedisSettings {
  /** REDIS_URL as given: one URL, or several comma-separated (cluster nodes, or the sentinels). */
  url: string;
  mode: RedisMode;
  /** PEM of a private CA that signed the servers' certificates (HOOKPOST_REDIS_TLS_CA_FILE's content). */
  tlsCa?: string;
  /** The master group Sentinel watches (sentinel mode only). */
  sentinelMaster?: string;
  /** The password of the master and its replicas; the URL's password is the sentinels' own. */
  masterPassword?: string;
}

/** What `createRedis` builds: the ioredis class and its options, all decided up front. */
export type RedisPlan =
  | { mode: 'single'; options: RedisOptions }
  | { mode: 'cluster'; nodes: { host: string; port: number }[]; options: ClusterOptions }
  | { mode: 'sentinel'; options: RedisOptions };

/** Per-connection choices of the caller (deps.ts opens a lazy subscriber and a pipelining publisher). */
export interface ConnectionChoices {
  lazyConnect?: boolean;
  autoPipelining?: boolean;
}

/** The URLs of REDIS_URL: one, or several comma-separated. */
export function redisNodes(url: string): string[] {
  return url
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/** The mode in effect: the one asked for, else cluster for several URLs (as before modes existed), else single. */
export function resolveRedisMode(url: string, mode?: RedisMode): RedisMode {
  return mode ?? (redisNodes(url).length > 1 ? 'cluster' : 'single');
}

interface ParsedUrl {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls: boolean;
}

function parseUrl(raw: string, defaultPort: number): ParsedUrl {
  if (!URL.canParse(raw)) throw new Error(`REDIS_URL: ${raw} is not a URL`);
  const u = new URL(raw);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`REDIS_URL: ${u.protocol} is not redis: or rediss:`);
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw new Error(`REDIS_URL: the path /${path} is not a database number`);
  return {
    // WHATWG URL keeps IPv6 literals in brackets; sockets want them bare.
    host: u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: u.port ? Number(u.port) : defaultPort,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: path === '' ? undefined : Number(path),
    tls: u.protocol === 'rediss:',
  };
}

/** The first credentials any URL carries: listing them once, on the first URL, is enough. */
function credentials(urls: ParsedUrl[]): { username?: string; password?: string } {
  const withAuth = urls.find((u) => u.username !== undefined || u.password !== undefined);
  return withAuth ? { username: withAuth.username, password: withAuth.password } : {};
}

/**
 * The connection plan for `settings`, without connecting: which ioredis class, which nodes, and
 * every option (auth, database, TLS). Throws a plain Error naming the variable for a setting that
 * cannot work, so config.ts can refuse it at start.
 */
export function redisPlan(settings: RedisSettings, choices: ConnectionChoices = {}): RedisPlan {
  const raw = redisNodes(settings.url);
  if (raw.length === 0) throw new Error('REDIS_URL: no URL given');
  const defaultPort = settings.mode === 'sentinel' ? 26379 : 6379;
  const urls = raw.map((u) => parseUrl(u, defaultPort));
  const tlsUrls = urls.filter((u) => u.tls).length;
  if (tlsUrls !== 0 && tlsUrls !== urls.length) throw new Error('REDIS_URL: mixes redis:// and rediss:// URLs; use one scheme for all');
  const useTls = tlsUrls > 0;
  if (settings.tlsCa !== undefined && !useTls) throw new Error('HOOKPOST_REDIS_TLS_CA_FILE: set, but REDIS_URL is not rediss://');
  if (settings.mode !== 'sentinel' && settings.sentinelMaster) throw new Error('HOOKPOST_REDIS_SENTINEL_MASTER: only for HOOKPOST_REDIS_MODE=sentinel');
  if (settings.mode !== 'sentinel' && settings.masterPassword) throw new Error('HOOKPOST_REDIS_MASTER_PASSWORD: only for HOOKPOST_REDIS_MODE=sentinel');
  // Servers are checked against the system's CAs, plus the private one when given.
  const tls: ConnectionOptions | undefined = useTls ? (settings.tlsCa !== undefined ? { ca: settings.tlsCa } : {}) : undefined;
  // BullMQ's blocking commands must wait out a reconnection instead of failing after N retries.
  const base: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: choices.lazyConnect,
    enableAutoPipelining: choices.autoPipelining ?? false,
  };
  const { username, password } = credentials(urls);
  // Like credentials, a database named on one URL holds for all.
  const named = [...new Set(urls.flatMap((u) => (u.db === undefined ? [] : [u.db])))];
  if (named.length > 1) throw new Error('REDIS_URL: the URLs name different databases');
  const db = named[0] ?? 0;

  if (settings.mode === 'single') {
    if (urls.length > 1) throw new Error('REDIS_URL: several URLs, but HOOKPOST_REDIS_MODE=single takes one');
    const [u] = urls;
    return { mode: 'single', options: { ...base, host: u.host, port: u.port, username, password, db, ...(tls ? { tls } : {}) } };
  }

  if (settings.mode === 'cluster') {
    if (db !== 0) throw new Error('REDIS_URL: a Redis Cluster has only database 0');
    const { lazyConnect, enableAutoPipelining, ...redisOptions } = base;
    return {
      mode: 'cluster',
      // One URL is a seed: ioredis asks it for the slots and discovers every other node.
      nodes: urls.map((u) => ({ host: u.host, port: u.port })),
      options: {
        lazyConnect,
        enableAutoPipelining,
        enableReadyCheck: true,
        redisOptions: { ...redisOptions, username, password, ...(tls ? { tls } : {}) },
        // Managed clusters announce TLS nodes by hostname; resolving them to IPs first would make
        // the certificate check compare against an IP the certificate does not name.
        ...(tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
      },
    };
  }

  if (!settings.sentinelMaster) throw new Error('HOOKPOST_REDIS_SENTINEL_MASTER: required with HOOKPOST_REDIS_MODE=sentinel');
  return {
    mode: 'sentinel',
    options: {
      ...base,
      sentinels: urls.map((u) => ({ host: u.host, port: u.port })),
      name: settings.sentinelMaster,
      sentinelUsername: username,
      sentinelPassword: password,
      password: settings.masterPassword,
      db,
      // Sentinel tells ioredis of a new master at once, instead of at the next failed command.
      failoverDetector: true,
      // A master demoted under an open connection answers writes with READONLY: reconnect (through
      // the sentinels, to the new master) and resend the command.
      reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false),
      ...(tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
    },
  };
}
