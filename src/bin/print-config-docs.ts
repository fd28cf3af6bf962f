// `npm run docs:config`: rewrites docs/configuration.md from the environment schema in src/core/config.ts.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { envSchema } from '../core/config.ts';
import { packageRoot } from '../core/packageRoot.ts';
import { CONFIG_DOCS_PATH, renderConfigDocs } from './configDocs.ts';

const target = path.join(packageRoot(import.meta.dirname), CONFIG_DOCS_PATH);
await mkdir(path.dirname(target), { recursive: true });
await writeFile(target, renderConfigDocs(envSchema.shape));
process.stdout.write(`wrote ${target}\n`);
