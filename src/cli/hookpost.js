#!/usr/bin/env node
// The `hookpost` bin. It runs the CLI from its TypeScript source through tsx (a dependency), so
// `npx hookpost` and `npm link` work from a checkout without a build step.
import { tsImport } from 'tsx/esm/api';

const { run } = await tsImport('./main.ts', import.meta.url);
process.exitCode = await run(process.argv);
