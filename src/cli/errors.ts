/**
 * Every failure the CLI reports carries a code: the GraphQL error's `extensions.code` when the server
 * refused, or one of the CLI's own (BAD_USER_INPUT for bad flags or files, NETWORK_ERROR, HTTP_<status>).
 */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The input field the server named (`extensions.field`), e.g. `input.events.19` for the 20th event of a batch. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function badInput(message: string): CliError {
  return new CliError('BAD_USER_INPUT', message);
}

/** The one line printed on stderr for a failure. */
export function describeFailure(err: unknown): string {
  if (err instanceof CliError) return `[${err.code}] ${err.message}`;
  return `[INTERNAL_ERROR] ${err instanceof Error ? err.message : String(err)}`;
}
