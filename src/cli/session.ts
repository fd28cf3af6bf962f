import type { Command } from 'commander';
import type { GraphQLClient } from './graphql.ts';
import type { Output } from './output.ts';

/** What every command gets: the API client and its output. */
export interface Session {
  gql: GraphQLClient;
  out: Output;
  /**
   * For long-running commands: from this call on, Ctrl-C (or SIGTERM) fires the returned signal so the
   * command can end cleanly instead of being killed. Commands that never call it die on Ctrl-C as usual.
   */
  interruptible(): AbortSignal;
}

/**
 * Wraps a command's handler for commander: the handler gets the session first, then the command's
 * arguments and its options, as commander passes them.
 */
export type Act = (handler: (session: Session, ...args: any[]) => Promise<void>) => (...args: any[]) => Promise<void>;

export type RegisterCommands = (program: Command, act: Act) => void;
