// GraphQL Code Generator's client preset on schema.graphql and the operations of docs/clients.md, and
// that page's Apollo and codegen TypeScript examples: all generated and typechecked as a user would.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { generate } from '@graphql-codegen/cli';
import { buildSchema, getOperationAST, validate } from 'graphql';
import { expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The page's fenced blocks of one language. */
function blocks(readme: string, lang: string): string[] {
  return [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

it('generates typed documents for the operations in docs/clients.md, which typecheck with its examples', { timeout: 60_000 }, async () => {
  const readme = await readFile(path.join(ROOT, 'docs/clients.md'), 'utf8');
  const operations = blocks(readme, 'graphql').filter((b) => /^(query|mutation|subscription) /m.test(b));
  expect(operations.length).toBeGreaterThan(0);

  // Inside the repo (git-ignored), so the generated code resolves the project's packages.
  await mkdir(path.join(ROOT, 'test-artifacts'), { recursive: true });
  // Removed when the test passes; on failure it stays in test-artifacts/ for a look.
  const dir = await mkdtemp(path.join(ROOT, 'test-artifacts', 'codegen-'));
  await writeFile(path.join(dir, 'operations.graphql'), operations.join('\n'));
  const files = await generate(
    {
      schema: path.join(ROOT, 'schema.graphql'),
      documents: path.join(dir, 'operations.graphql'),
      silent: true,
      generates: {
        [path.join(dir, 'gql/')]: {
          preset: 'client',
          config: { scalars: { DateTime: 'string', JSON: 'unknown' }, useTypeImports: true, emitLegacyCommonJSImports: false },
        },
      },
    },
    true,
  );
  expect(files.map((f: { filename: string }) => path.basename(f.filename)).sort()).toEqual(['fragment-masking.ts', 'gql.ts', 'graphql.ts', 'index.ts']);

  // Every operation is valid against the schema, and each is one typed document.
  const schema = buildSchema(await readFile(path.join(ROOT, 'schema.graphql'), 'utf8'));
  const generated = await import(path.join(dir, 'gql/graphql.ts'));
  const names = ['Webhooks', 'CreateWebhook', 'PublishEvent', 'DeadLetters', 'RetryDelivery', 'DeliveryAttempts'];
  for (const name of names) {
    const doc = generated[`${name}Document`];
    expect(getOperationAST(doc)?.name?.value).toBe(name);
    expect(validate(schema, doc)).toEqual([]);
  }

  // Typed results: the right fields are there, a wrong one is a compile error.
  const examples = blocks(readme, 'ts').filter((b) => b.includes("from '@apollo/client'") || b.includes("from '@graphql-codegen/cli'"));
  expect(examples).toHaveLength(2);
  await writeFile(path.join(dir, 'apollo-example.ts'), examples[0]);
  await writeFile(path.join(dir, 'codegen.ts'), examples[1]);
  await writeFile(
    path.join(dir, 'usage.ts'),
    `import type { ResultOf, VariablesOf } from '@graphql-typed-document-node/core';
import type { DeliveryStatus, DeadLettersDocument, PublishEventDocument, WebhooksDocument } from './gql/graphql.ts';

export const first: string | null | undefined = ({} as ResultOf<typeof WebhooksDocument>).webhooks.edges[0].node.name;
export const replayed: boolean = ({} as ResultOf<typeof PublishEventDocument>).publishEvent.replayed;
export const input: VariablesOf<typeof PublishEventDocument> = { input: { type: 'order.shipped', data: { orderId: 'ord_1' } } };
export const failed: DeliveryStatus = 'FAILED';
export const attempts: number = ({} as ResultOf<typeof DeadLettersDocument>).deliveries.edges[0].node.attemptCount;
// @ts-expect-error: the secret is not in the Webhooks query
export const secret = ({} as ResultOf<typeof WebhooksDocument>).webhooks.edges[0].node.secret;
`,
  );
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ extends: path.join(ROOT, 'tsconfig.json'), compilerOptions: { lib: ['ES2023', 'DOM'] }, include: ['**/*.ts'] }),
  );
  const tsc = await promisify(execFile)(path.join(ROOT, 'node_modules/.bin/tsc'), ['--noEmit', '-p', path.join(dir, 'tsconfig.json')], { cwd: ROOT }).catch(
    (err: { stdout: string }) => ({ stdout: err.stdout, failed: true }),
  );
  expect(tsc.stdout).toBe('');
  await rm(dir, { recursive: true });
});
