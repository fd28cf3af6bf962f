// `npm run api`: the GraphQL API alone.
import { startService } from './service.ts';

startService({ api: true, worker: false });
