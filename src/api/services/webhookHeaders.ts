import { z } from 'zod';
import type { CoreDeps } from '../../core/deps.ts';
import { hintOf, isHint, openHeaders, sealHeaders, type HeaderColumns } from '../../core/crypto/sensitiveHeaders.ts';
import { badInput } from '../errors.ts';
import { HEADER_NAME } from './validation.ts';

export const MAX_SENSITIVE_HEADERS = 20;

/** Header names the webhook marks sensitive besides the built-in rule; stored in lower case. */
export const sensitiveHeaderNames = z
  .array(z.string().regex(HEADER_NAME, 'must be a valid header name'))
  .max(MAX_SENSITIVE_HEADERS, `at most ${MAX_SENSITIVE_HEADERS} names`)
  .transform((names) => [...new Set(names.map((n) => n.toLowerCase()))]);

/**
 * The full headers meant by `given`. Headers are replaced as a whole (a name left out is removed),
 * but a sensitive value need not be sent again: its hint, as queries show it (`••••1234`), keeps the
 * stored value. A hint that is not the stored value's is refused rather than sent to the receiver.
 */
function resolveHints(given: Record<string, string>, stored: Record<string, string>): Record<string, string> {
  const storedByName = new Map(Object.entries(stored).map(([name, value]) => [name.toLowerCase(), value]));
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (!isHint(value)) {
      resolved[name] = value;
      continue;
    }
    const current = storedByName.get(name.toLowerCase());
    if (current === undefined || isHint(current) || hintOf(current) !== value) {
      throw badInput(`headers.${name}: "${value}" is a hint but not the stored value's; send the value itself`, `headers.${name}`);
    }
    resolved[name] = current;
  }
  return resolved;
}

/**
 * The header columns of a created or updated webhook. `given` undefined keeps the current headers
 * (re-sealed only when the sensitive names changed); `existing` is absent on create.
 */
export function headerColumns(deps: CoreDeps, given: Record<string, string> | null | undefined, listed: string[], existing?: HeaderColumns): HeaderColumns {
  const stored = existing ? openHeaders(deps.secretBox, existing) : {};
  const full = given ? resolveHints(given, stored) : stored;
  return sealHeaders(deps.secretBox, full, listed);
}
