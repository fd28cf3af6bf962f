import type { Viewer } from '../auth/apiKeys.ts';
import { canAccessProject, requireViewer } from '../auth/access.ts';
import { notFound } from '../errors.ts';

/**
 * Returns the row when the viewer may see it. A row of another project is reported as missing,
 * so that a key cannot probe which ids exist elsewhere.
 */
export function visibleOrNotFound<T extends { projectId: string }>(
  viewer: Viewer | null,
  what: string,
  id: string,
  row: T | null,
): T {
  const v = requireViewer(viewer);
  if (!row || !canAccessProject(v, row.projectId)) throw notFound(what, id);
  return row;
}
