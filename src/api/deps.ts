import type { CoreDeps } from '../core/deps.ts';
import type { Authenticator } from './auth/authenticator.ts';
import type { EventCatalog } from './services/eventCatalog.ts';
import type { EventWriter } from './services/eventWriter.ts';

/** The core's dependencies plus what only the API needs. */
export interface ApiDeps extends CoreDeps {
  authenticate: Authenticator;
  eventWriter: EventWriter;
  /** Event types and their validators, cached per process. */
  eventCatalog: EventCatalog;
}
