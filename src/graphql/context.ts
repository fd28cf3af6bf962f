import type { Viewer } from '../auth/apiKeys.ts';
import type { AppDeps } from '../deps.ts';

export interface GraphQLContext {
  deps: AppDeps;
  viewer: Viewer | null;
}
