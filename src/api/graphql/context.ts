import type { Viewer } from '../auth/apiKeys.ts';
import type { ApiDeps } from '../deps.ts';

export interface GraphQLContext {
  deps: ApiDeps;
  viewer: Viewer | null;
  /** Whether the request carried a credential at all (a null viewer then means a wrong one). */
  keySent: boolean;
}
