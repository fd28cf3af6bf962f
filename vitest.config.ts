import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Node loads graphql's CommonJS entry for Pothos and Yoga; Vite would pick index.mjs for our files.
  // Two copies of graphql cannot share a schema, so ours use the same entry as theirs.
  resolve: {
    alias: [
      { find: /^graphql$/, replacement: 'graphql/index.js' },
      // Inside the repo, `hookpost/verify` is its TypeScript source; installed, it is the built dist/.
      { find: /^hookpost\/verify$/, replacement: fileURLToPath(new URL('./src/verify/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each file gets its own database and Redis prefix, so files may run side by side.
    maxWorkers: 2,
  },
});
