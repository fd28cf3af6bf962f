// Kept apart from config.ts, which parses: this file only says, for docs/configuration.md, what
// each environment variable does.

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
