// `npm start`: the API and a delivery worker in one process. `npm run api` and `npm run worker` run
// them apart, to scale each on its own.
import { startService } from './service.ts';

startService({ api: true, worker: true });
