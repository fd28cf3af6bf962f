import pg from 'pg';

export type Sql = pg.Pool;

// Prisma keeps DateTime columns as `timestamp` without a zone, in UTC. This pool reads them as UTC
// and runs its sessions in UTC, so `now()` and the columns agree whatever the server's zone is.
const TIMESTAMP_OID = 1114;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMP_OID ? (value: string) => new Date(`${value.replace(' ', 'T')}Z`) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * A plain `pg` pool for queries the Prisma client would make in several round trips, or interpret
 * at a quarter of the CPU. Each call is planned for its parameters, as Postgres does by default.
 */
export function createSqlPool(databaseUrl: string, max = 8): Sql {
  return createPool(databaseUrl, max, '-c TimeZone=UTC -c plan_cache_mode=force_custom_plan');
}

/**
 * The pool for the hot paths (publish, claim, record), where only the statements made with
 * `prepared` may run. Each is planned once per connection, generically: planning each call cost
 * Postgres as much as executing it (pg_stat_statements at 500 events/s: claim 0.66 ms planning
 * against 0.31 ms executing). A generic plan may be made while the tables are empty and is kept
 * until an ANALYZE, so each statement is written to reach every table by an index condition at any
 * size, and the planner is told that sequential scans and merge joins never pay here. Both are
 * checked on empty tables by test/genericPlans.test.ts. Postgres plans a statement without a name
 * generically too under this setting, which is why other queries go to `createSqlPool`'s pool.
 */
export function createPreparedPool(databaseUrl: string, max = 8): Sql {
  return createPool(databaseUrl, max, '-c TimeZone=UTC -c plan_cache_mode=force_generic_plan -c enable_seqscan=off -c enable_mergejoin=off');
}

function createPool(databaseUrl: string, max: number, options: string): Sql {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, types, options });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** A UTC `timestamp` literal for Prisma's zone-less columns. */
export function utcTimestamp(date: Date): string {
  return date.toISOString().slice(0, -1);
}

/** Every hot-path statement's text by name: the generic-plan test explains each one (see `prepared`). */
export const preparedStatements = new Map<string, string>();

/**
 * A hot-path statement as a named prepared statement: each pooled connection parses it once, and
 * in `createPreparedPool`'s pool plans it once too, then only binds and executes it. `name` must be
 * unique per text.
 */
export function prepared(name: string, text: string): (values: unknown[]) => pg.QueryConfig {
  const known = preparedStatements.get(name);
  if (known !== undefined && known !== text) throw new Error(`prepared statement ${name} is defined twice`);
  preparedStatements.set(name, text);
  return (values) => ({ name, text, values });
}
