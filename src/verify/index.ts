// Receiver-side verification of Hookpost deliveries (`import { verifyWebhook } from 'hookpost/verify'`).
import { timingSafeEqual } from 'node:crypto';
import { signStandard } from '../core/delivery/signing.ts';

export type VerificationErrorCode =
  | 'MISSING_HEADERS'
  | 'INVALID_TIMESTAMP'
  | 'TIMESTAMP_TOO_OLD'
  | 'TIMESTAMP_TOO_NEW'
  | 'INVALID_SIGNATURE'
  | 'INVALID_PAYLOAD';

export class WebhookVerificationError extends Error {
  constructor(
    readonly code: VerificationErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

export interface HookpostEvent<T = Record<string, unknown>> {
  id: string;
  type: string;
  timestamp: string;
  project_id: string;
  data: T;
}

export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** How far the signed timestamp may be from now, in seconds (default 300). */
  toleranceSeconds?: number;
  now?: Date;
}

function header(headers: HeadersLike, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

function sameBytes(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks a delivery's Standard Webhooks signature against the raw body and returns the parsed event.
 * Pass several secrets while rotating; any of the header's signatures may match any of them.
 * Throws a WebhookVerificationError (with a `code`) otherwise.
 */
export function verifyWebhook<T = Record<string, unknown>>(
  rawBody: string | Uint8Array,
  headers: HeadersLike,
  secrets: string | string[],
  options: VerifyOptions = {},
): HookpostEvent<T> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError('MISSING_HEADERS', 'webhook-id, webhook-timestamp and webhook-signature are required');
  }
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('INVALID_TIMESTAMP', 'webhook-timestamp is not unix seconds');
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  const ts = Number(timestamp);
  if (ts < now - tolerance) throw new WebhookVerificationError('TIMESTAMP_TOO_OLD', 'the delivery is older than the tolerance');
  if (ts > now + tolerance) throw new WebhookVerificationError('TIMESTAMP_TOO_NEW', 'the delivery is from the future');

  const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  const given = signatures.split(' ').filter((s) => s.startsWith('v1,'));
  const expected = (Array.isArray(secrets) ? secrets : [secrets]).map((s) => signStandard(s, id, ts, body));
  // Compare every pair, so the time taken does not say which one matched.
  let matched = false;
  for (const g of given) for (const e of expected) matched = sameBytes(g, e) || matched;
  if (!matched) throw new WebhookVerificationError('INVALID_SIGNATURE', 'no signature matches the secret');

  try {
    return JSON.parse(body) as HookpostEvent<T>;
  } catch {
    throw new WebhookVerificationError('INVALID_PAYLOAD', 'the body is not JSON');
  }
}
