import type { SecretBox } from './secretBox.ts';

/**
 * Receivers' credentials travel in custom headers (`Authorization: Bearer …`, `X-Api-Key`). Their
 * values are sealed like signing secrets and shown only as a hint; these are the rules for which
 * headers that covers and what the hint looks like, shared by the API, the worker and the sweeps.
 */

/** Names that carry credentials by convention: Authorization, Proxy-Authorization, Cookie, X-Api-Key, … */
const SENSITIVE_NAME = /key|token|secret|password|auth|cookie/i;

/** What every hint starts with; a header value starting with it is a hint, never a credential. */
export const HINT_MASK = '••••';

export function isSensitiveHeader(name: string, listed: readonly string[]): boolean {
  return SENSITIVE_NAME.test(name) || listed.includes(name.toLowerCase());
}

/**
 * `••••` and the value's last characters: 4 of a long value, never more than a quarter of a short
 * one (a 6-character password shows 1), so a hint identifies a credential without giving it away.
 * The migration that introduced sealing computes the same hint in SQL for old attempt logs.
 */
export function hintOf(value: string): string {
  const shown = Math.min(4, Math.floor(value.length / 4));
  return HINT_MASK + (shown ? value.slice(-shown) : '');
}

export const isHint = (value: string) => value.startsWith(HINT_MASK);

/** The header columns of a webhook row. */
export interface HeaderColumns {
  /** Every custom header, each sensitive one with its hint as the value. */
  headers: Record<string, string>;
  headersCiphertext: string | null;
  headersKeyId: string | null;
}

/** Splits a webhook's full custom headers into what is stored in the clear and what is sealed. */
export function sealHeaders(box: SecretBox, all: Record<string, string>, listed: readonly string[]): HeaderColumns {
  const headers: Record<string, string> = {};
  const sealed: Record<string, string> = {};
  for (const [name, value] of Object.entries(all)) {
    if (isSensitiveHeader(name, listed)) {
      sealed[name] = value;
      headers[name] = hintOf(value);
    } else {
      headers[name] = value;
    }
  }
  if (!Object.keys(sealed).length) return { headers, headersCiphertext: null, headersKeyId: null };
  const { ciphertext, keyId } = box.seal(JSON.stringify(sealed));
  return { headers, headersCiphertext: ciphertext, headersKeyId: keyId };
}

/** The sealed values alone, name to value. */
export function openSealedHeaders(box: SecretBox, ciphertext: string, keyId: string): Record<string, string> {
  return JSON.parse(box.open({ ciphertext, keyId })) as Record<string, string>;
}

/**
 * A webhook's custom headers in full, as sent to its receiver. A row written before sealing existed
 * has no ciphertext and its values in the clear: they are sent as they are until a sweep seals them.
 */
export function openHeaders(box: SecretBox, row: HeaderColumns): Record<string, string> {
  if (!row.headersCiphertext || !row.headersKeyId) return { ...row.headers };
  return { ...row.headers, ...openSealedHeaders(box, row.headersCiphertext, row.headersKeyId) };
}

/**
 * Headers as anyone but the receiver may see them: each sensitive value replaced by its hint. Sealed
 * values are hints already; this also covers a row not swept yet and a request about to be logged.
 * `among` narrows the names looked at (a logged request: only the webhook's custom headers).
 */
export function redactHeaders(
  headers: Record<string, string>,
  listed: readonly string[],
  among: Iterable<string> = Object.keys(headers),
): Record<string, string> {
  let redacted: Record<string, string> | undefined;
  for (const name of among) {
    const value = headers[name];
    if (typeof value !== 'string' || isHint(value) || !isSensitiveHeader(name, listed)) continue;
    redacted ??= { ...headers };
    redacted[name] = hintOf(value);
  }
  return redacted ?? headers;
}
