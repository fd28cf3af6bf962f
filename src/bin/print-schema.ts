import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { printHookpostSchema } from '../api/graphql/schema.ts';

const target = path.resolve(import.meta.dirname, '../../schema.graphql');
await writeFile(target, printHookpostSchema());
process.stdout.write(`wrote ${target}\n`);
