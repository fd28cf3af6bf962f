// `npm run build:dashboard` (run by `npm install`): bundles the dashboard the API serves at /dashboard.
import { buildDashboard } from '../api/dashboard/build.ts';
import { run } from '../core/lifecycle.ts';

run(async () => {
  const files = await buildDashboard();
  process.stdout.write(`built the dashboard: ${files.join(', ')}\n`);
});
