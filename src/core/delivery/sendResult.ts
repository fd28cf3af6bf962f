/** Why an attempt did not get a 2xx: the outcome rules match on `kind`, the attempt log shows `message`. */
export type SendFailure =
  | { kind: 'ssrf_blocked'; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'network'; message: string }
  | { kind: 'http'; message: string };

/** What one HTTP attempt produced; a sender never throws, every failure is one of these. */
export interface SendResult {
  status: number | null;
  headers: Record<string, string | string[]> | null;
  body: string | null;
  durationMs: number;
  failure: SendFailure | null;
}

/**
 * The `error` column of the attempt log: a transport failure's message. A plain non-2xx answer has
 * none, since its status says it all.
 */
export function attemptError(result: SendResult): string | null {
  return result.failure && result.failure.kind !== 'http' ? result.failure.message : null;
}
