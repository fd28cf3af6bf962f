import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { REDIS_MODES, type RedisSettings, redisNodes, redisPlan, resolveRedisMode } from './redisOptions.ts';
import { parseAllowedNetworks } from './delivery/addressPolicy.ts';
import { DEFAULT_ENVELOPE, parseEnvelope } from './delivery/request.ts';
import { DEFAULT_SCHEDULE_SECONDS, parseScheduleEnv } from './delivery/retryPolicy.ts';
import { DEFAULT_FRAME_ANCESTORS, parseFrameAncestors } from './frameAncestors.ts';
import { parseTokenSigningKeys } from './crypto/tokenKeys.ts';

const envFields = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/hookpost'),
  REDIS_URL: z
    .string()
    .refine(
      (v) => redisNodes(v).length > 0 && redisNodes(v).every((node) => URL.canParse(node) && node.startsWith('redis')),
      'a redis:// or rediss:// URL, or several comma-separated (cluster nodes, or sentinels)',
    )
    .default('redis://127.0.0.1:6379'),
  HOOKPOST_REDIS_MODE: z.enum(REDIS_MODES).optional(),
  HOOKPOST_REDIS_TLS_CA_FILE: z.string().optional(),
  HOOKPOST_REDIS_SENTINEL_MASTER: z.string().min(1).optional(),
  HOOKPOST_REDIS_MASTER_PASSWORD: z.string().optional(),
  HOOKPOST_REDIS_PREFIX: z.string().min(1).default('hookpost'),
  HOOKPOST_ADMIN_KEY: z.string().min(16).optional(),
  HOOKPOST_USER_AGENT: z.string().min(1).default('Hookpost-Webhooks/1.0'),
  HOOKPOST_HEADER_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'a header name prefix such as X-Hookpost')
    .default('X-Hookpost'),
  HOOKPOST_SIGNATURE_FORMAT: z.enum(['hex', 'sha256=hex']).default('sha256=hex'),
  HOOKPOST_ENVELOPE: z.string().transform(parsedWith(parseEnvelope)).default(DEFAULT_ENVELOPE),
  HOOKPOST_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  HOOKPOST_RETRY_SCHEDULE: z.string().transform(parsedWith(parseScheduleEnv)).default(DEFAULT_SCHEDULE_SECONDS),
  HOOKPOST_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).default(10),
  // 0 switches the circuit breaker off. Cool-downs are seconds, decimals allowed (tests use short ones).
  HOOKPOST_CIRCUIT_FAILURES: z.coerce.number().int().min(0).default(5),
  HOOKPOST_CIRCUIT_COOLDOWN_SECONDS: z.coerce
    .number()
    .min(0.01)
    .max(7 * 24 * 3600)
    .default(60),
  HOOKPOST_CIRCUIT_MAX_COOLDOWN_SECONDS: z.coerce
    .number()
    .min(0.01)
    .max(7 * 24 * 3600)
    .default(3600),
  HOOKPOST_RATE_LIMIT_HEADROOM_MS: z.coerce.number().int().min(0).max(1000).default(100),
  HOOKPOST_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  HOOKPOST_LEASE_MS: z.coerce.number().int().min(500).default(30_000),
  HOOKPOST_ENCRYPTION_KEY: z.string().optional(),
  HOOKPOST_ENCRYPTION_KEY_FILE: z.string().default('.hookpost/encryption.key'),
  HOOKPOST_TOKEN_SIGNING_KEY: z.string().refine(validWith(parseTokenSigningKeys), 'base64 keys of at least 32 bytes, comma-separated, newest first').optional(),
  HOOKPOST_ALLOW_HTTP: z.enum(['true', 'false']).optional(),
  HOOKPOST_ALLOWED_NETWORKS: z.string().transform(parsedWith(parseAllowedNetworks)).default([]),
  HOOKPOST_SOURCE_ADDRESS: z.union([z.ipv4(), z.ipv6()]).optional(),
  HOOKPOST_INTROSPECTION: z.enum(['true', 'false']).default('true'),
  HOOKPOST_FEDERATION: z.enum(['true', 'false']).default('false'),
  HOOKPOST_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  HOOKPOST_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  HOOKPOST_RETENTION_DAYS: z.coerce.number().min(0).default(30),
  HOOKPOST_RETENTION_INTERVAL_MS: z.coerce.number().int().min(100).default(3_600_000),
  HOOKPOST_PORTAL_FRAME_ANCESTORS: z.string().transform(parsedWith(parseFrameAncestors)).default(DEFAULT_FRAME_ANCESTORS),
  HOOKPOST_HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(300).default(20),
  HOOKPOST_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/**
 * What docs/configuration.md says of each variable, by section. `npm run docs:config` renders the
 * page from the schema, and a test fails when the two differ or a variable goes undescribed.
 */
export const ENV_DOCS: Record<string, Record<string, string>> = {
  Service: {
    NODE_ENV:
      '`production` requires `HOOKPOST_ENCRYPTION_KEY`, refuses plain `http:` webhook URLs unless `HOOKPOST_ALLOW_HTTP` says otherwise, and always logs JSON.',
    HOST: "The address the API listens on, and a worker process's metrics and health server.",
    PORT: "The API's port: GraphQL over HTTP, SSE and WebSocket, the dashboard, the portal, `/healthz`, `/readyz` and `/metrics`. `0` takes any free port.",
    HOOKPOST_HEAP_GROWTH_PERCENT:
      "How far a process's V8 old generation may grow past its live heap before the next full collection, which keeps memory flat under load. `0` leaves it to V8.",
    HOOKPOST_SHUTDOWN_TIMEOUT_MS:
      'How long a stop (SIGTERM, SIGINT) may take: finishing requests and deliveries in flight, handing back the rest, closing connections. Past it the process logs what it was still waiting for and exits with code 1; what Postgres holds is kept.',
    LOG_LEVEL: 'The log level. Logs are JSON lines on standard output; outside production, on a terminal, one readable line each.',
  },
  Storage: {
    DATABASE_URL: 'The PostgreSQL database. The API (and `npm run db:migrate`) creates it when it is missing and applies pending migrations.',
    REDIS_URL:
      'Redis, for waking workers, pub/sub and rate limits: `redis://[[user]:password@]host[:port][/db]` (`rediss://` for TLS). Cluster mode: one node (the others are discovered) or several, comma-separated; sentinel mode: the sentinels, comma-separated, the password being theirs.',
    HOOKPOST_REDIS_MODE:
      '`single`, `cluster` (a Redis Cluster) or `sentinel` (the master a Sentinel group names, followed through failovers). Unset: `cluster` when `REDIS_URL` lists several URLs, else `single`.',
    HOOKPOST_REDIS_TLS_CA_FILE: "A PEM file of the CA that signed the Redis servers' certificates, trusted besides the system's CAs. Needs `rediss://` URLs.",
    HOOKPOST_REDIS_SENTINEL_MASTER: 'The master group name the sentinels watch (`sentinel monitor <name> …`). Required in sentinel mode.',
    HOOKPOST_REDIS_MASTER_PASSWORD: "The password of the master and its replicas in sentinel mode (`REDIS_URL`'s password is the sentinels' own).",
    HOOKPOST_REDIS_PREFIX:
      'Prefix of every Redis key and pub/sub channel, so that deployments can share a Redis. In cluster mode it is wrapped in `{…}` (one hash slot) unless it holds a hash tag.',
  },
  'Keys and secrets': {
    HOOKPOST_ADMIN_KEY:
      'An admin API key of your own, accepted without being stored. Unset: on the first start without an admin key in the database, one is created and printed once.',
    HOOKPOST_ENCRYPTION_KEY:
      'Base64 of 32 bytes (`openssl rand -base64 32`) sealing webhook secrets and sensitive header values; several, comma-separated, newest first, to rotate. Required in production.',
    HOOKPOST_ENCRYPTION_KEY_FILE:
      'Where a process outside production keeps a generated encryption key while `HOOKPOST_ENCRYPTION_KEY` is unset: created on the first start, read afterwards.',
    HOOKPOST_TOKEN_SIGNING_KEY:
      'Base64 keys of at least 32 bytes signing tenant tokens, comma-separated, newest first; a token signed by a key no longer listed stops working. Unset: derived from the encryption keys.',
  },
  // Each project keeps its own (docs/receivers.md#brand-settings): these are a new project's first settings.
  "What receivers get (a new project's defaults)": {
    HOOKPOST_USER_AGENT: "A new project's `User-Agent`; each project then keeps its own (`Project.delivery`).",
    HOOKPOST_HEADER_PREFIX:
      "A new project's prefix of the branded headers `<prefix>-Signature`, `<prefix>-Event` and `<prefix>-Delivery`: letters, digits and `-`, starting with a letter.",
    HOOKPOST_SIGNATURE_FORMAT:
      "A new project's branded signature: `sha256=<hex>` or the bare `<hex>` HMAC-SHA256 of the raw body, keyed by the whole secret. The Standard Webhooks headers are sent either way.",
    HOOKPOST_ENVELOPE:
      "A new project's body keys, in order: each one of `id`, `type`, `timestamp`, `project_id` and `data`, or `name=source` to rename one (`createdAt=timestamp`). It must carry `data`.",
  },
  Delivery: {
    HOOKPOST_WORKER_CONCURRENCY: 'Requests in flight at once per worker process, across all endpoints (each endpoint also has its own `maxConcurrency`).',
    HOOKPOST_RETRY_SCHEDULE:
      "A new project's retry policy: seconds to wait after each failed attempt (at most 29, decimals allowed), for webhooks without a `retryPolicy` of their own; each wait gets ±20 % jitter.",
    HOOKPOST_DISABLE_AFTER_FAILURES:
      "A new project's threshold: consecutive failed attempts to a webhook, across its deliveries, that disable it (a success resets the count); while its circuit is open, only a failed probe does.",
    HOOKPOST_RATE_LIMIT_HEADROOM_MS:
      "A rate-limited endpoint's window is one second plus this, so that requests reaching the receiver a little early or late still keep to its limit there.",
    HOOKPOST_POLL_INTERVAL_MS:
      "The longest a worker goes without looking in PostgreSQL for due deliveries it was not told about: retries another worker scheduled, work whose wake-up Redis lost, a dead worker's deliveries.",
    HOOKPOST_LEASE_MS:
      "How long a worker's lease on the deliveries it is sending lasts. It is renewed while the worker runs: a killed worker's deliveries go to another once it runs out.",
  },
  'Circuit breaker': {
    HOOKPOST_CIRCUIT_FAILURES:
      'Consecutive failed attempts to an endpoint that open its circuit: its deliveries are held, spending no attempts, until a probe. `0` switches the breaker off.',
    HOOKPOST_CIRCUIT_COOLDOWN_SECONDS: 'How long an opened circuit holds its deliveries before one goes as a probe; decimals allowed.',
    HOOKPOST_CIRCUIT_MAX_COOLDOWN_SECONDS: 'The cool-down doubles after each failed probe, up to this (never below the first cool-down).',
  },
  Security: {
    HOOKPOST_ALLOW_HTTP: 'Whether webhook URLs may be plain `http:`. Unset: allowed, except with `NODE_ENV=production`.',
    HOOKPOST_ALLOWED_NETWORKS:
      'CIDR ranges, comma-separated, the worker may deliver to although they are loopback or private, e.g. `127.0.0.0/8,::1/128` for a receiver on your machine.',
    HOOKPOST_SOURCE_ADDRESS:
      "The local IP address a worker sends deliveries from, on a host with several (the one receivers allowlist). Unset: the system's choice. Receivers reachable only over the other IP family then fail to connect.",
  },
  API: {
    HOOKPOST_INTROSPECTION: '`false` refuses schema introspection (GraphiQL, and tools that read the schema from the running API, need it).',
    HOOKPOST_FEDERATION:
      '`true` serves the schema as an Apollo Federation v2 subgraph (`_service`, `_entities`, `@key` on Project, Webhook, Event and Delivery).',
    HOOKPOST_MAX_BODY_BYTES: 'The largest request body the API takes, judged by its `Content-Length` before it is read (a POST without one is refused).',
  },
  Operations: {
    HOOKPOST_WORKER_METRICS_PORT:
      "Port of a worker process's `/metrics`, `/healthz` and `/readyz` (under `npm start`, the API's port serves them). `0`, or a port in use, takes a free one.",
    HOOKPOST_RETENTION_DAYS: 'Attempts, and the payloads of settled events, older than this are purged by the workers; decimals allowed, `0` keeps everything.',
    HOOKPOST_RETENTION_INTERVAL_MS: 'How often each worker purges (it also purges on start).',
  },
  Portal: {
    HOOKPOST_PORTAL_FRAME_ANCESTORS:
      "The pages that may frame the tenant portal, as its CSP `frame-ancestors`: `'none'`, `'self'` or origins such as `https://app.example.com`, separated by spaces or commas.",
  },
};

/** Defaults the schema keeps only in parsed form, as one writes them in the environment. */
const WRITTEN_DEFAULTS: Record<string, string> = { HOOKPOST_ENVELOPE: 'id,type,timestamp,project_id,data' };

/** The fields with their documentation attached as zod metadata (nothing about parsing changes). */
function described<T extends Record<string, z.ZodType>>(fields: T): T {
  const out: Record<string, z.ZodType> = { ...fields };
  for (const [group, entries] of Object.entries(ENV_DOCS)) {
    for (const [name, description] of Object.entries(entries)) {
      const written = WRITTEN_DEFAULTS[name];
      if (fields[name]) out[name] = fields[name].meta({ group, description, ...(written ? { envDefault: written } : {}) });
    }
  }
  return out as T;
}

export const envSchema = z.object(described(envFields));

export type Env = Record<string, string | undefined>;

/** The environment read into the shape the code uses; its output type is `Config`. */
const configSchema = envSchema.transform((e, ctx) => ({
  env: e.NODE_ENV,
  host: e.HOST,
  port: e.PORT,
  databaseUrl: e.DATABASE_URL,
  redisUrl: e.REDIS_URL,
  /** How to reach Redis: mode, URLs, TLS CA, Sentinel's master (see redisOptions.ts). */
  redis: redisSettings(e, ctx),
  // A cluster keeps each BullMQ queue in one hash slot only if the prefix carries a hash tag.
  redisPrefix:
    resolveRedisMode(e.REDIS_URL, e.HOOKPOST_REDIS_MODE) === 'cluster' && !/\{.+\}/.test(e.HOOKPOST_REDIS_PREFIX)
      ? `{${e.HOOKPOST_REDIS_PREFIX}}`
      : e.HOOKPOST_REDIS_PREFIX,
  adminKey: e.HOOKPOST_ADMIN_KEY,
  logLevel: e.LOG_LEVEL,
  /**
   * How far V8 lets the old generation grow past what survived the last full collection before the
   * next one (0: V8's own choice, up to 300 % when collections are cheap). Under load the API's
   * request garbage would otherwise pile up to three times its live heap (see src/core/lifecycle.ts).
   */
  heapGrowthPercent: e.HOOKPOST_HEAP_GROWTH_PERCENT,
  /** The longest a stop may take before the process gives up waiting and exits 1. */
  shutdownTimeoutMs: e.HOOKPOST_SHUTDOWN_TIMEOUT_MS,
  /** Serve the schema as an Apollo Federation v2 subgraph (`_service`, `_entities`, `@key`). */
  federation: e.HOOKPOST_FEDERATION === 'true',
  encryption: { key: e.HOOKPOST_ENCRYPTION_KEY, keyFile: e.HOOKPOST_ENCRYPTION_KEY_FILE },
  /** Keys signing tenant tokens, newest first; unset: derived from the encryption keys. */
  tokenSigningKey: e.HOOKPOST_TOKEN_SIGNING_KEY,
  security: {
    /** Whether webhook URLs may be plain http (default: everywhere but production). */
    allowHttp: e.HOOKPOST_ALLOW_HTTP ? e.HOOKPOST_ALLOW_HTTP === 'true' : e.NODE_ENV !== 'production',
    /** Networks the worker may reach although they are private or loopback. */
    allowedNetworks: e.HOOKPOST_ALLOWED_NETWORKS,
    /** The local address deliveries leave from; unset: the system's choice. */
    sourceAddress: e.HOOKPOST_SOURCE_ADDRESS,
    introspection: e.HOOKPOST_INTROSPECTION === 'true',
    maxBodyBytes: e.HOOKPOST_MAX_BODY_BYTES,
  },
  delivery: {
    envelope: e.HOOKPOST_ENVELOPE,
    userAgent: e.HOOKPOST_USER_AGENT,
    headerPrefix: e.HOOKPOST_HEADER_PREFIX,
    signatureFormat: e.HOOKPOST_SIGNATURE_FORMAT,
    concurrency: e.HOOKPOST_WORKER_CONCURRENCY,
    retrySchedule: e.HOOKPOST_RETRY_SCHEDULE,
    disableAfterFailures: e.HOOKPOST_DISABLE_AFTER_FAILURES,
    circuit: {
      /** Consecutive failed attempts that open an endpoint's circuit; 0: never. */
      failures: e.HOOKPOST_CIRCUIT_FAILURES,
      cooldownSeconds: e.HOOKPOST_CIRCUIT_COOLDOWN_SECONDS,
      // A maximum below the first cool-down would make the first one the longest.
      maxCooldownSeconds: Math.max(e.HOOKPOST_CIRCUIT_COOLDOWN_SECONDS, e.HOOKPOST_CIRCUIT_MAX_COOLDOWN_SECONDS),
    },
    /**
     * A rate-limited endpoint's window is one second plus this: what one send can be late or early
     * against another between the worker and the receiver (scheduling, network jitter).
     */
    rateLimitHeadroomMs: e.HOOKPOST_RATE_LIMIT_HEADROOM_MS,
    /**
     * The longest a worker goes without looking in Postgres for due deliveries it was not woken
     * for: retries another worker scheduled, work whose wake-up Redis lost, a dead worker's leases.
     */
    pollIntervalMs: e.HOOKPOST_POLL_INTERVAL_MS,
    /** A worker's lease on the deliveries it holds, renewed while it lives (see worker/heldLeases.ts). */
    leaseMs: e.HOOKPOST_LEASE_MS,
  },
  operations: {
    /** The worker's own HTTP port for /metrics, /healthz and /readyz (0: any free port). */
    workerMetricsPort: e.HOOKPOST_WORKER_METRICS_PORT,
    /** Attempts and settled events' payloads older than this are purged; 0 keeps everything. */
    retentionDays: e.HOOKPOST_RETENTION_DAYS,
    retentionIntervalMs: e.HOOKPOST_RETENTION_INTERVAL_MS,
  },
  portal: {
    /** CSP frame-ancestors of /portal: the pages that may embed the tenant portal. */
    frameAncestors: e.HOOKPOST_PORTAL_FRAME_ANCESTORS,
  },
}));

export type Config = z.output<typeof configSchema>;

/**
 * The Redis settings, with the CA file read here (the one module touching the environment), and
 * checked by planning a connection once, so a setting that cannot work stops the start.
 */
function redisSettings(e: z.output<typeof envSchema>, ctx: z.RefinementCtx): RedisSettings {
  const settings: RedisSettings = {
    url: e.REDIS_URL,
    mode: resolveRedisMode(e.REDIS_URL, e.HOOKPOST_REDIS_MODE),
    sentinelMaster: e.HOOKPOST_REDIS_SENTINEL_MASTER,
    masterPassword: e.HOOKPOST_REDIS_MASTER_PASSWORD,
  };
  if (e.HOOKPOST_REDIS_TLS_CA_FILE) {
    try {
      settings.tlsCa = readFileSync(e.HOOKPOST_REDIS_TLS_CA_FILE, 'utf8');
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['HOOKPOST_REDIS_TLS_CA_FILE'], message: `cannot read it: ${(err as Error).message}` });
      return settings;
    }
  }
  try {
    redisPlan(settings);
  } catch (err) {
    const [name, ...rest] = (err as Error).message.split(': ');
    ctx.addIssue({ code: 'custom', path: [name], message: rest.join(': ') });
  }
  return settings;
}

/**
 * Turns a domain parser's plain error into a zod issue, so the message names the variable.
 * Domain modules (retry policy, envelope, address policy) know nothing of the environment.
 */
function parsedWith<T>(parse: (value: string) => T) {
  return (value: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
      return z.NEVER;
    }
  };
}

function validWith(parse: (value: string) => unknown) {
  return (value: string): boolean => {
    try {
      parse(value);
      return true;
    } catch {
      return false;
    }
  };
}

/** The one place that reads the environment; everything else takes a Config. */
export function loadConfig(env: Env = process.env, overrides: Env = {}): Config {
  const merged = { ...env, ...overrides };
  // An empty variable means "unset", as in most shells' `FOO= cmd`.
  const cleaned = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return parsed.data;
}
