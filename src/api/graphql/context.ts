import type { Viewer } from '../auth/apiKeys.ts';
import type { ApiDeps } from '../deps.ts';

export interface GraphQLContext {
  deps: ApiDeps;
  viewer: Viewer | null;
}
