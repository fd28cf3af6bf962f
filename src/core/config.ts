import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ENV_DOCS } from './configDescriptions.ts';
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
export { ENV_DOCS };

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
