import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { badInput } from './errors.ts';
import type { GraphQLClient } from './graphql.ts';

// Parsers for option values. Commander reports their errors naming the option, as BAD_USER_INPUT.
const invalid = (message: string) => new InvalidArgumentError(message);

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw invalid(`expected a whole number from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

export function json(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    throw invalid(`not valid JSON: ${(err as Error).message}`);
  }
}

export function jsonObject(value: string): Record<string, unknown> {
  const parsed = json(value);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('expected a JSON object');
  return parsed as Record<string, unknown>;
}

export async function jsonObjectFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw badInput(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return jsonObject(text);
  } catch (err) {
    throw badInput(`${path}: ${(err as Error).message}`);
  }
}

export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function numberList(value: string): number[] {
  return list(value).map((s) => {
    const n = Number(s);
    if (!Number.isFinite(n) || n < 0) throw invalid(`expected seconds, got "${s}"`);
    return n;
  });
}

/** `--header Name:value`, repeatable, collected into an object. */
export function header(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf(':');
  if (at <= 0) throw invalid(`expected Name:value, got "${value}"`);
  return { ...previous, [value.slice(0, at).trim()]: value.slice(at + 1).trim() };
}

export function isoDate(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw invalid(`not a date: "${value}" (e.g. 2026-01-31T00:00:00Z)`);
  return date.toISOString();
}

// Lists are Relay connections: a page (`--first`, `--after`) or everything (`--all`).

export interface PageOptions {
  first: number;
  after?: string;
  all?: boolean;
}

export function withPaging(cmd: Command): Command {
  return cmd
    .addOption(new Option('--first <n>', 'page size (at most 100)').argParser(integer(1, 100)).default(20))
    .option('--after <cursor>', 'the page after this cursor (printed under a table that has more)')
    .option('--all', 'follow every page');
}

export interface Page<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Runs a connection query (which takes `$first` and `$after`) for one page, or every page with `--all`. */
export async function fetchPages<T>(
  gql: GraphQLClient,
  query: string,
  variables: Record<string, unknown>,
  pick: (data: any) => { edges: { node: T }[]; pageInfo: Page<T>['pageInfo'] },
  paging: PageOptions,
): Promise<Page<T>> {
  const nodes: T[] = [];
  let after = paging.after ?? null;
  for (;;) {
    const connection = pick(await gql.request(query, { ...variables, first: paging.all ? 100 : paging.first, after }));
    nodes.push(...connection.edges.map((e) => e.node));
    if (!paging.all || !connection.pageInfo.hasNextPage) return { nodes, pageInfo: connection.pageInfo };
    after = connection.pageInfo.endCursor;
  }
}

export function moreHint(page: Page<unknown>): string {
  return page.pageInfo.hasNextPage ? `\n(more: --after ${page.pageInfo.endCursor}, or --all)` : '';
}
