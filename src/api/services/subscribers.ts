import { prepared, type Sql } from '../../core/db/sql.ts';

export interface Subscriber {
  id: string;
  events: string[];
  /** The payload filter as stored (jsonb text), null for none. */
  filter: string | null;
  /** Its deliveries join its line (see worker/stages/claimLine.ts). */
  ordered: boolean;
  /** Its tenant, which its deliveries carry; null for a project-wide webhook. */
  tenantId: string | null;
}

export interface Route {
  projectId: string;
  tenantId: string | null;
  broadcast: boolean;
}

/**
 * Events with the same route go to the same webhooks: the project's, narrowed to a tenant's, to every
 * tenant's (broadcast), or to none of any tenant's.
 */
export const routeOf = (e: Route) => `${e.projectId}\u0000${e.broadcast ? '*' : (e.tenantId ?? '')}`;

export interface Routing {
  /** The active webhooks of each route; a route of a missing project has no entry. */
  subscribers: Map<string, Subscriber[]>;
  /** Each project's routing version the subscribers were read at (projects.webhooks_version). */
  versions: Map<string, string>;
}

// Three index ranges of (project_id, tenant_id), so that a tenant's event reads its own few
// webhooks and not every tenant's; the r.broadcast branches are decided once per route.
const SUBSCRIBERS = prepared(
  'hookpost.subscribers',
  `SELECT r.project_id, r.tenant_id AS route_tenant, r.broadcast, p.webhooks_version::text AS version,
          w.id, w.events, w.filter::text AS filter, w.ordered, w.tenant_id
     FROM unnest($1::text[], $2::text[], $3::bool[]) AS r(project_id, tenant_id, broadcast)
     JOIN projects p ON p.id = r.project_id
     LEFT JOIN LATERAL (
       SELECT id, events, filter, ordered, tenant_id FROM webhooks
        WHERE project_id = p.id AND active AND tenant_id IS NULL
       UNION ALL
       SELECT id, events, filter, ordered, tenant_id FROM webhooks
        WHERE r.broadcast AND project_id = p.id AND active AND tenant_id IS NOT NULL
       UNION ALL
       SELECT id, events, filter, ordered, tenant_id FROM webhooks
        WHERE NOT r.broadcast AND project_id = p.id AND active AND tenant_id = r.tenant_id) w ON true`,
);

interface SubscriberRow {
  project_id: string;
  route_tenant: string | null;
  broadcast: boolean;
  version: string;
  id: string | null;
  events: string[] | null;
  filter: string | null;
  ordered: boolean | null;
  tenant_id: string | null;
}

/** Projects whose routing one API process keeps; the least recently read goes first. */
const MAX_PROJECTS = 10_000;
/** Routes (tenants) kept per project; past it, the project's entry starts afresh. */
const MAX_ROUTES = 1_000;

interface KnownProject {
  version: string;
  routes: Map<string, Subscriber[]>;
}

export interface SubscriberCache {
  /** The subscribers of every route of these events, read from Postgres only where not known yet. */
  routing(events: Route[]): Promise<Routing>;
  /** Drops what is known of these projects (their routing version moved on). */
  forget(projectIds: Iterable<string>): void;
}

/**
 * Each project's subscribers as last read, with the routing version they were read at. Nothing here
 * is trusted on its own: the statement that inserts events checks the versions and inserts nothing
 * when one moved on (eventWriter.ts), so a change any process has committed — another API replica,
 * a worker disabling an endpoint, an operator's SQL — is followed by the next publish, and no
 * message has to arrive first.
 */
export function createSubscriberCache(sql: Sql): SubscriberCache {
  const projects = new Map<string, KnownProject>();

  /** Reads the routes from Postgres and keeps what was read; returns it too (the cache may move on meanwhile). */
  async function read(routes: Route[]): Promise<Map<string, KnownProject>> {
    const { rows } = await sql.query<SubscriberRow>(
      SUBSCRIBERS([routes.map((e) => e.projectId), routes.map((e) => e.tenantId), routes.map((e) => e.broadcast)]),
    );
    const fresh = new Map<string, KnownProject>();
    for (const r of rows) {
      let project = fresh.get(r.project_id);
      if (!project) fresh.set(r.project_id, (project = { version: r.version, routes: new Map() }));
      const route = routeOf({ projectId: r.project_id, tenantId: r.route_tenant, broadcast: r.broadcast });
      const list = project.routes.get(route) ?? [];
      if (r.id && r.events) list.push({ id: r.id, events: r.events, filter: r.filter, ordered: r.ordered === true, tenantId: r.tenant_id });
      project.routes.set(route, list);
    }
    for (const [projectId, read] of fresh) {
      // Routes known at another version are dropped. A slow read may put back an older version than
      // a concurrent one found: the insert's check then refuses it once, and it is read again.
      // An entry is only ever added to, never emptied: a flush holding it keeps what it saw.
      const known = projects.get(projectId);
      projects.delete(projectId);
      const reuse = known?.version === read.version && known.routes.size + read.routes.size <= MAX_ROUTES;
      const kept: KnownProject = reuse ? known : { version: read.version, routes: new Map() };
      for (const [route, list] of read.routes) kept.routes.set(route, list);
      if (projects.size >= MAX_PROJECTS) projects.delete(projects.keys().next().value as string);
      projects.set(projectId, kept);
    }
    return fresh;
  }

  return {
    async routing(events) {
      const wanted = [...new Map(events.map((e) => [routeOf(e), e])).entries()];
      // A project with any route unknown has all its routes read again, so that they share a version.
      const unknown = new Set(wanted.filter(([route, e]) => !projects.get(e.projectId)?.routes.has(route)).map(([, e]) => e.projectId));
      const found = new Map<string, KnownProject>();
      for (const [, e] of wanted) if (!unknown.has(e.projectId)) found.set(e.projectId, projects.get(e.projectId)!);
      if (unknown.size) {
        for (const [id, project] of await read(wanted.filter(([, e]) => unknown.has(e.projectId)).map(([, e]) => e))) found.set(id, project);
      }
      const routing: Routing = { subscribers: new Map(), versions: new Map() };
      for (const [route, e] of wanted) {
        const project = found.get(e.projectId);
        const list = project?.routes.get(route);
        if (!project || !list) continue;
        routing.subscribers.set(route, list);
        routing.versions.set(e.projectId, project.version);
      }
      return routing;
    },
    forget(projectIds) {
      for (const id of projectIds) projects.delete(id);
    },
  };
}
