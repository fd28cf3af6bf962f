import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { Broadcaster } from '../../core/broadcaster.ts';
import { createCompileCache } from '../../core/compileCache.ts';
import type { Sql } from '../../core/db/sql.ts';
import type { RedisClient } from '../../core/redis.ts';
import { createSchemaCompiler, type SchemaValidationError, validationErrorsOf } from './eventSchema.ts';

/** Why the catalog refuses one event of a publish call. */
export interface CatalogRefusal {
  index: number;
  field: 'type' | 'data';
  message: string;
  validationErrors?: SchemaValidationError[];
}

export interface EventCatalog {
  /** The first event the project's catalog refuses: an unknown type in strict mode, or data failing its type's schema. */
  refusal(projectId: string, events: readonly { type: string; data: unknown }[]): Promise<CatalogRefusal | undefined>;
  /**
   * Call after committing a change to a project's types or strictness, before answering: this
   * process forgets the project at once, and every other API process once Redis hands them the message.
   */
  changed(projectId: string): Promise<void>;
  close(): Promise<void>;
}

interface ProjectCatalog {
  strict: boolean;
  /** Every type of the project: true when it has a schema. */
  types: Map<string, boolean>;
  validators: Map<string, Promise<ValidateFunction>>;
  loadedAt: number;
}

const CACHE_TTL_MS = 60_000;
const CACHE_MAX_PROJECTS = 10_000;
// A compiled schema with its own Ajv instance is about 6 KB of heap and 1.6 ms to make.
const COMPILED_MAX = 1000;

/** Compiles a JSON Schema into a validator; each call gets its own Ajv, so `$id`s never collide. */
export type CompileSchema = (schema: unknown) => ValidateFunction;
const compileAlone: CompileSchema = (schema) => createSchemaCompiler().compile(schema);

/**
 * Publishing checks every event against its project's catalog, so the catalog is cached per API
 * process: a project without types costs a map look-up. Changes reach other processes as an
 * `eventTypesChanged` message, published before the change is acknowledged. While the pub/sub
 * connection is down, or just came back (messages may have been missed), the cache is not trusted
 * and each call reads Postgres. Validators are compiled on first use of their type's schema text.
 */
export function createEventCatalog(deps: { sql: Sql; redis: RedisClient; broadcaster: Broadcaster; compile?: CompileSchema }): EventCatalog {
  const projects = new Map<string, ProjectCatalog>();
  // Validators by schema text: a catalog that is not trusted (Redis away) or has expired reads its
  // schemas again, but the same text is not compiled again.
  const compile = deps.compile ?? compileAlone;
  const compiled = createCompileCache(COMPILED_MAX, (text) => compile(JSON.parse(text)));
  const loading = new Map<string, Promise<ProjectCatalog | undefined>>();
  // Bumped by every invalidation: a load that began before one is not cached.
  let generation = 0;
  const forget = (projectId?: string) => {
    generation++;
    if (projectId === undefined) {
      projects.clear();
      loading.clear();
    } else {
      projects.delete(projectId);
      loading.delete(projectId);
    }
  };
  const forgetAll = () => forget();
  deps.redis.on('ready', forgetAll);
  const stopListening = deps.broadcaster.listen('eventTypesChanged', ({ projectId }) => forget(projectId));

  async function load(projectId: string): Promise<ProjectCatalog | undefined> {
    const { rows } = await deps.sql.query<{ strict: boolean; name: string | null; has_schema: boolean }>(
      `SELECT p.strict_event_types AS strict, t.name, t.schema IS NOT NULL AS has_schema
         FROM projects p LEFT JOIN event_types t ON t.project_id = p.id
        WHERE p.id = $1`,
      [projectId],
    );
    // No such project: the event writer reports it.
    if (!rows.length) return undefined;
    const types = new Map<string, boolean>();
    for (const r of rows) if (r.name !== null) types.set(r.name, r.has_schema);
    return { strict: rows[0].strict, types, validators: new Map(), loadedAt: Date.now() };
  }

  async function catalogOf(projectId: string): Promise<ProjectCatalog | undefined> {
    if (deps.redis.status !== 'ready') return load(projectId);
    const cached = projects.get(projectId);
    if (cached && Date.now() - cached.loadedAt < CACHE_TTL_MS) return cached;
    const pending = loading.get(projectId);
    if (pending) return pending;
    const startedAt = generation;
    const promise = load(projectId).then((catalog) => {
      if (loading.get(projectId) === promise) loading.delete(projectId);
      if (catalog && generation === startedAt && deps.redis.status === 'ready') {
        if (projects.size >= CACHE_MAX_PROJECTS) projects.delete(projects.keys().next().value as string);
        projects.set(projectId, catalog);
      }
      return catalog;
    });
    loading.set(projectId, promise);
    promise.catch(() => loading.get(projectId) === promise && loading.delete(projectId));
    return promise;
  }

  function validatorOf(projectId: string, catalog: ProjectCatalog, type: string): Promise<ValidateFunction> {
    let validator = catalog.validators.get(type);
    if (!validator) {
      validator = deps.sql
        .query<{ schema: string }>('SELECT schema::text AS schema FROM event_types WHERE project_id = $1 AND name = $2', [projectId, type])
        // A type deleted since the catalog was read validates nothing (the message is on its way).
        .then(({ rows }) => compiled.get(rows[0]?.schema ?? 'true'));
      catalog.validators.set(type, validator);
      validator.catch(() => catalog.validators.delete(type));
    }
    return validator;
  }

  return {
    async refusal(projectId, events) {
      const catalog = await catalogOf(projectId);
      if (!catalog || (!catalog.strict && catalog.types.size === 0)) return undefined;
      for (const [index, { type, data }] of events.entries()) {
        const hasSchema = catalog.types.get(type);
        if (hasSchema === undefined) {
          if (catalog.strict) return { index, field: 'type', message: `"${type}" is not in the project's event-type catalog (strictEventTypes is on)` };
          continue;
        }
        if (!hasSchema) continue;
        const validate = await validatorOf(projectId, catalog, type);
        if (!validate(data)) {
          const validationErrors = validationErrorsOf(validate);
          const first = validationErrors[0];
          const where = `data${first?.instancePath ?? ''}`;
          return { index, field: 'data', message: `does not match the schema of "${type}": ${where} ${first?.message ?? 'is invalid'}`, validationErrors };
        }
      }
      return undefined;
    },
    async changed(projectId) {
      forget(projectId);
      await deps.broadcaster.publishNow('eventTypesChanged', { projectId });
    },
    async close() {
      deps.redis.off('ready', forgetAll);
      stopListening();
    },
  };
}
