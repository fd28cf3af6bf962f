import { clientError } from '../errors.ts';
import type { TenantViewer, Viewer } from './apiKeys.ts';

export const MISSING_KEY_MESSAGE = 'Send an API key or a tenant token as `Authorization: Bearer <key>` (or an API key as `X-API-Key`)';
/** A credential was sent, but no key has it: never answered as if none was sent. */
export const INVALID_KEY_MESSAGE = 'this API key is not valid (unknown or revoked)';

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw clientError('UNAUTHENTICATED', MISSING_KEY_MESSAGE);
  return viewer;
}

export function requireAdmin(viewer: Viewer | null): Viewer {
  const v = requireViewer(viewer);
  if (v.scope !== 'ADMIN') throw clientError('FORBIDDEN', 'This operation needs an admin key');
  return v;
}

/** An API key, project or admin: what tenant tokens may never do (publish, keys, tokens, settings). */
export function requireApiKey(viewer: Viewer | null): Exclude<Viewer, TenantViewer> {
  const v = requireViewer(viewer);
  if (v.scope === 'TENANT') throw clientError('FORBIDDEN', 'A tenant token cannot do this; it needs an API key');
  return v;
}

/** Whether the viewer may read the project's own data (a tenant reads its project's, e.g. event types). */
export function canAccessProject(viewer: Viewer, projectId: string): boolean {
  return viewer.scope === 'ADMIN' || viewer.projectId === projectId;
}

/**
 * The project an operation acts on: a project key's own, or the one an admin key names. A tenant
 * token's project for reading; a mutation on project-level data with a tenant token is FORBIDDEN
 * (its own tenant's objects go through `ownerOf` and `visibleOrNotFound` instead).
 */
export function targetProjectId(viewer: Viewer | null, requested: string | null | undefined): string {
  const v = requireViewer(viewer);
  if (v.scope !== 'ADMIN') {
    if (requested && requested !== v.projectId) {
      throw clientError('FORBIDDEN', v.scope === 'TENANT' ? 'This tenant token belongs to another project' : 'This API key belongs to another project');
    }
    if (v.scope === 'TENANT' && v.mutating) throw forbiddenToTenant();
    return v.projectId;
  }
  if (!requested) throw clientError('BAD_USER_INPUT', 'projectId is required with an admin key', { field: 'projectId' });
  return requested;
}

export const forbiddenToTenant = () => clientError('FORBIDDEN', "A tenant token can read the project's settings but not change them; this needs an API key");

/** A filter for queries: undefined for an admin listing everything, else the key's project. */
export function projectScope(viewer: Viewer): string | undefined {
  return viewer.scope === 'ADMIN' ? undefined : viewer.projectId;
}

/** The tenant a viewer is confined to; undefined for API keys, which see every tenant of their project. */
export function tenantScope(viewer: Viewer | null): string | undefined {
  return viewer?.scope === 'TENANT' ? viewer.tenantId : undefined;
}

/**
 * Who a new tenant-owned object (a webhook) belongs to: a tenant token's own tenant, whatever was asked
 * (a different tenantId is refused), else the project and the optional tenant the key names.
 */
export function ownerOf(
  viewer: Viewer | null,
  requested: { projectId?: string | null; tenantId?: string | null },
): { projectId: string; tenantId: string | null } {
  const v = requireViewer(viewer);
  if (v.scope !== 'TENANT') return { projectId: targetProjectId(v, requested.projectId), tenantId: requested.tenantId ?? null };
  if (requested.projectId && requested.projectId !== v.projectId) throw clientError('FORBIDDEN', 'This tenant token belongs to another project');
  if (requested.tenantId != null && requested.tenantId !== v.tenantId) throw clientError('FORBIDDEN', 'This tenant token belongs to another tenant');
  return { projectId: v.projectId, tenantId: v.tenantId };
}

/**
 * The tenant a list is narrowed to: the one asked for, or a tenant token's own (asking a tenant
 * token for another tenant's is FORBIDDEN, as asking a project key for another project's).
 */
export function tenantFilter(viewer: Viewer | null, requested: string | null | undefined): string | undefined {
  const v = requireViewer(viewer);
  if (v.scope !== 'TENANT') return requested ?? undefined;
  if (requested != null && requested !== v.tenantId) throw clientError('FORBIDDEN', 'This tenant token belongs to another tenant');
  return v.tenantId;
}
