// `npm run worker`: a delivery worker process; run as many as the receivers' load needs.
import { startService } from '../src/bin/service.ts';

startService({ api: false, worker: true });
