import { clientError } from '../errors.ts';
import type { Viewer } from './apiKeys.ts';

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw clientError('UNAUTHENTICATED', 'Send an API key as `Authorization: Bearer <key>` or `X-API-Key`');
  return viewer;
}

export function requireAdmin(viewer: Viewer | null): Viewer {
  const v = requireViewer(viewer);
  if (v.scope !== 'ADMIN') throw clientError('FORBIDDEN', 'This operation needs an admin key');
  return v;
}

export function canAccessProject(viewer: Viewer, projectId: string): boolean {
  return viewer.scope === 'ADMIN' || viewer.projectId === projectId;
}

/** The project an operation acts on: a project key's own, or the one an admin key names. */
export function targetProjectId(viewer: Viewer | null, requested: string | null | undefined): string {
  const v = requireViewer(viewer);
  if (v.scope === 'PROJECT') {
    if (requested && requested !== v.projectId) {
      throw clientError('FORBIDDEN', 'This API key belongs to another project');
    }
    return v.projectId;
  }
  if (!requested) throw clientError('BAD_USER_INPUT', 'projectId is required with an admin key', { field: 'projectId' });
  return requested;
}

/** A filter for queries: undefined for an admin listing everything, else the key's project. */
export function projectScope(viewer: Viewer): string | undefined {
  return viewer.scope === 'PROJECT' ? viewer.projectId : undefined;
}
