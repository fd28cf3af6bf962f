import { createProject } from './fixtures.ts';
import { gqlClient } from './gql.ts';
import { type Stack, type StackOptions, startStack, withStack } from './stack.ts';

let shared: Promise<Stack> | undefined;

/**
 * `withStack`, or with `share` one stack for the whole run, each caller in a project of its own. A
 * quick run shares it between the phases that judge nothing of a stack's start (fan-out, streams,
 * size), to start fewer stacks; it goes down with the run (stopAllStacks).
 */
export async function withPhaseStack<T>(o: StackOptions, share: boolean, fn: (stack: Stack) => Promise<T>): Promise<T> {
  if (!share) return withStack(o, fn);
  shared ??= startStack({ ...o, label: 'shared' });
  const stack = await shared;
  const { projectId, key } = await createProject(stack.admin, `bench ${o.label}`);
  const gql = gqlClient(stack.apiUrl, key);
  try {
    return await fn({ ...stack, label: `${stack.label}-${o.label}`, projectId, key, gql });
  } finally {
    await gql.close();
  }
}
