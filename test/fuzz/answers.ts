// Sending a generated operation as a client would (HTTP for queries and mutations, server-sent
// events for subscriptions) and judging the answer: clean is not a 5xx, not masked, and every error
// with a code of the documented set.
import { ERROR_CODES } from '../../src/api/errors.ts';
import type { Operation } from './operations.ts';
import type { Viewer } from './world.ts';

interface GraphQLResult {
  data?: unknown;
  errors?: { message?: string; extensions?: { code?: unknown } }[];
}

export interface Answer {
  status: number;
  results: unknown[];
  /** Set when the body was not GraphQL results at all. */
  malformed?: string;
}

/** How long a subscription is listened to: its refusals come at once, a live one sends nothing. */
const LISTEN_MS = 150;

function headers(viewer: Viewer, accept: string): Record<string, string> {
  return { 'content-type': 'application/json', accept, ...(viewer.key ? { authorization: `Bearer ${viewer.key}` } : {}) };
}

async function overHttp(url: string, op: Operation, viewer: Viewer): Promise<Answer> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: headers(viewer, 'application/json'),
    body: JSON.stringify({ query: op.query, variables: op.variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, results: [JSON.parse(text)] };
  } catch {
    return { status: res.status, results: [], malformed: text.slice(0, 200) };
  }
}

async function overSse(url: string, op: Operation, viewer: Viewer): Promise<Answer> {
  const stop = new AbortController();
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: headers(viewer, 'text/event-stream'),
    body: JSON.stringify({ query: op.query, variables: op.variables }),
    signal: AbortSignal.any([stop.signal, AbortSignal.timeout(30_000)]),
  });
  if (!res.body || !res.headers.get('content-type')?.includes('text/event-stream')) {
    const text = await res.text();
    try {
      return { status: res.status, results: [JSON.parse(text)] };
    } catch {
      return { status: res.status, results: [], malformed: text.slice(0, 200) };
    }
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => stop.abort(), LISTEN_MS);
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
      if (/^event: complete$/m.test(text)) break;
    }
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
  const results: unknown[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (!data) continue;
    try {
      results.push(JSON.parse(data));
    } catch {
      return { status: res.status, results, malformed: data.slice(0, 200) };
    }
  }
  return { status: res.status, results };
}

export function send(url: string, op: Operation, viewer: Viewer): Promise<Answer> {
  return op.kind === 'subscription' ? overSse(url, op, viewer) : overHttp(url, op, viewer);
}

const DOCUMENTED = new Set<string>(ERROR_CODES);

export interface Verdict {
  /** The codes of the answer's errors, each once; `OK` for an answer without errors. */
  codes: string[];
  /** Why the answer is not clean; undefined when it is. */
  unclean?: string;
}

export function judge(answer: Answer): Verdict {
  if (answer.malformed !== undefined) return { codes: [], unclean: `HTTP ${answer.status} with a body that is not GraphQL: ${answer.malformed}` };
  const codes = new Set<string>();
  let unclean = answer.status >= 500 ? `HTTP ${answer.status}` : undefined;
  for (const raw of answer.results) {
    const result = raw as GraphQLResult;
    if (typeof result !== 'object' || result === null || !('data' in result || 'errors' in result)) {
      unclean ??= 'an answer with neither data nor errors';
      continue;
    }
    for (const error of result.errors ?? []) {
      const code = error.extensions?.code;
      if (typeof code !== 'string') {
        unclean ??= `an error without a code: ${error.message}`;
        continue;
      }
      codes.add(code);
      if (!DOCUMENTED.has(code)) unclean ??= `an undocumented code ${code}: ${error.message}`;
      else if (code === 'INTERNAL_SERVER_ERROR' || error.message === 'Unexpected error.') unclean ??= `masked: ${error.message}`;
    }
  }
  return { codes: codes.size ? [...codes].sort() : ['OK'], unclean };
}
