import { Command, CommanderError } from 'commander';
import { registerDeliveries } from './commands/deliveries.ts';
import { registerEvents } from './commands/events.ts';
import { registerEventTypes } from './commands/eventTypes.ts';
import { registerProjects } from './commands/projects.ts';
import { registerTail } from './commands/tail.ts';
import { registerWebhooks } from './commands/webhooks.ts';
import { DEFAULT_URL, resolveCliConfig } from './config.ts';
import { describeFailure } from './errors.ts';
import { createGraphQLClient } from './graphql.ts';
import { createOutput } from './output.ts';
import type { Act } from './session.ts';

const EXAMPLES = `Environment:
  HOOKPOST_URL       the API (default ${DEFAULT_URL}); --api-url overrides it
  HOOKPOST_API_KEY   an admin or project key; --api-key overrides it

Every command takes --json (JSON on stdout, for scripts). Errors go to stderr as
"[CODE] message" with the API's error code, and the exit code is 1.

Examples:
  hookpost projects create Acme
  hookpost keys create --project prj_… --name backend
  hookpost webhooks create --url https://example.com/hooks --events 'order.*' --name orders
  hookpost webhooks list
  hookpost webhooks update whk_… --events 'order.*,invoice.paid' --retry-schedule 10,60,600
  hookpost webhooks rotate-secret whk_… --grace-period 3600
  hookpost webhooks test whk_…
  hookpost events publish order.shipped --data '{"orderId":"ord_42"}'
  hookpost events publish order.shipped --file order.json --idempotency-key ord_42-shipped
  hookpost events publish --ndjson events.ndjson
  hookpost event-types list --deprecated
  hookpost deliveries list --status FAILED --webhook whk_…
  hookpost deliveries get dlv_…
  hookpost deliveries retry dlv_…
  hookpost deliveries recover --webhook whk_… --since 2026-01-01T00:00:00Z
  hookpost tail --webhook whk_…
  hookpost webhooks list --json | jq -r '.nodes[].id'

Every command has its own --help.`;

/** One line per command group with its subcommands, read from the program so it is never stale. */
function overview(program: Command): string {
  return program.commands
    .map((group) => `  hookpost ${group.name()}${group.commands.length ? ` ${group.commands.map((c) => c.name()).join('|')}` : ''}`)
    .join('\n');
}

export function buildProgram(act: Act): Command {
  const program = new Command('hookpost')
    .description('Hookpost from the command line: a GraphQL client for projects, keys, webhooks, events and deliveries')
    .option('--api-url <url>', 'the GraphQL API (env HOOKPOST_URL)')
    .option('--api-key <key>', 'the API key (env HOOKPOST_API_KEY)')
    .option('--json', 'print JSON instead of tables')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    // Usage errors read like every other failure: "hookpost: [BAD_USER_INPUT] …".
    .configureOutput({ outputError: (text, write) => write(`hookpost: [BAD_USER_INPUT] ${text.replace(/^error: /, '')}`) })
    .showHelpAfterError('(hookpost --help lists every command)');
  registerProjects(program, act);
  registerWebhooks(program, act);
  registerEvents(program, act);
  registerEventTypes(program, act);
  registerDeliveries(program, act);
  registerTail(program, act);
  program.addHelpText('after', `\nAll commands:\n${overview(program)}\n\n${EXAMPLES}`);
  // Usage errors exit with a code like every other failure instead of ending the process here.
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** Runs one command line; resolves to the exit code (0, or 1 on any failure). */
export async function run(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  let trapping = false;
  const interruptible = () => {
    if (!trapping) process.once('SIGINT', stop).once('SIGTERM', stop);
    trapping = true;
    return controller.signal;
  };
  const act: Act =
    (handler) =>
    async (...args) => {
      const cmd = args.at(-1) as Command;
      const globals = cmd.optsWithGlobals();
      const config = resolveCliConfig({ url: globals.apiUrl, apiKey: globals.apiKey });
      await handler({ gql: createGraphQLClient(config), out: createOutput(Boolean(globals.json)), interruptible }, ...args.slice(0, -1));
    };
  try {
    await buildProgram(act).parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander has printed its message (0 for --help)
    process.stderr.write(`hookpost: ${describeFailure(err)}\n`);
    return 1;
  } finally {
    if (trapping) process.off('SIGINT', stop).off('SIGTERM', stop);
  }
}
