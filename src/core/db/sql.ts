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
 * A plain `pg` pool for the hot paths (publish, claim, record): one statement where the Prisma
 * client would make several round trips and spend a quarter of the CPU interpreting them.
 */
export function createSqlPool(databaseUrl: string, max = 8): Sql {
  // Prepared statements (see `prepared`) are planned once per connection, generically: planning each
  // call cost Postgres as much as executing it (pg_stat_statements at 500 events/s: claim 0.66 ms
  // planning against 0.31 ms executing). A generic plan is made when the tables may still be empty
  // and kept until an ANALYZE, so each statement is written to be found by an index condition at
  // any size, and the planner is told that sequential scans and merge joins never pay here (both
  // checked on empty tables by test/genericPlans.test.ts). Unnamed statements are planned per call.
  const options = '-c TimeZone=UTC -c plan_cache_mode=force_generic_plan -c enable_seqscan=off -c enable_mergejoin=off';
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
 * A hot-path statement as a named prepared statement: each pooled connection parses and plans it
 * once (see createSqlPool), then only binds and executes it. `name` must be unique per text.
 */
export function prepared(name: string, text: string): (values: unknown[]) => pg.QueryConfig {
  const known = preparedStatements.get(name);
  if (known !== undefined && known !== text) throw new Error(`prepared statement ${name} is defined twice`);
  preparedStatements.set(name, text);
  return (values) => ({ name, text, values });
}
