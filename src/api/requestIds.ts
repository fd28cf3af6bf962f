import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * The id of the request being served, for what a client can quote to us: the `x-request-id` header
 * of every HTTP answer, `extensions.requestId` of a masked error, and the log line with its cause.
 */
const current = new AsyncLocalStorage<string>();
/** An id a proxy in front of us chose is kept, if it is one a log line can carry as it is. */
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && ACCEPTED.test(header) ? header : randomUUID();
}

export function withRequestId<T>(id: string, fn: () => T): T {
  return current.run(id, fn);
}

/** The current request's id; outside of one (a subscription event pushed later), a new one. */
export function currentRequestId(): string {
  return current.getStore() ?? randomUUID();
}

const byError = new WeakMap<object, string>();

/** Ties an error to the id its client was told, so that the line logging it carries the same id. */
export function tagError(error: unknown, id: string): void {
  if (typeof error === 'object' && error !== null) byError.set(error, id);
}

export function requestIdOfError(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? byError.get(error) : undefined;
}
