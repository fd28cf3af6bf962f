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
  // Prepared statements (see `prepared`) are planned anew on each call all the same: a generic plan
  // is made once per connection, when the tables may still be tiny, and is replanned only after an
  // ANALYZE; with autovacuum off (or behind) the claim kept a plan fit for an empty table and a soak
  // at 500 events/s fell minutes behind. Preparing still saves the parse.
  const pool = new pg.Pool({ connectionString: databaseUrl, max, types, options: '-c TimeZone=UTC -c plan_cache_mode=force_custom_plan' });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** A UTC `timestamp` literal for Prisma's zone-less columns. */
export function utcTimestamp(date: Date): string {
  return date.toISOString().slice(0, -1);
}

/**
 * A hot-path statement as a named prepared statement: each pooled connection parses it once, then
 * binds (plans) and executes it. Unnamed, Postgres parsed the claim, record and publish statements
 * on every call (server log, 500 events/s: parse 0.2–0.3 ms of each). `name` must be unique per text.
 */
export function prepared(name: string, text: string): (values: unknown[]) => pg.QueryConfig {
  return (values) => ({ name, text, values });
}
