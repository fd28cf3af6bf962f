import { Option } from 'commander';
import { integer } from '../options.ts';
import { pc } from '../output.ts';
import type { RegisterCommands } from '../session.ts';
import { type Attempt, outcome } from './deliveries.ts';

const TAIL = `subscription Tail($webhookId: ID, $projectId: ID) {
  deliveryAttemptCreated(webhookId: $webhookId, projectId: $projectId) {
    id attemptNumber url responseStatus durationMs error succeeded createdAt
    delivery { id status webhook { id } event { id type } }
  }
}`;

type TailAttempt = Omit<Attempt, 'responseBody'> & {
  delivery: { id: string; status: string; webhook: { id: string }; event: { id: string; type: string } };
};

export function attemptLine(a: TailAttempt): string {
  return [
    pc.dim(a.createdAt),
    outcome(a),
    `${a.durationMs}ms`,
    `#${a.attemptNumber}`,
    a.delivery.event.type,
    a.delivery.id,
    a.delivery.webhook.id,
    pc.dim(a.url),
  ].join('  ');
}

export const registerTail: RegisterCommands = (program, act) => {
  program
    .command('tail')
    .description('follow delivery attempts live (graphql-ws), one line each; Ctrl-C stops')
    .option('--webhook <id>', 'only this webhook')
    .option('--project <id>', 'only this project (admin key)')
    .addOption(new Option('--limit <n>', 'stop after n attempts').argParser(integer(1)))
    .action(
      act(async ({ gql, out, interruptible }, opts) => {
        let seen = 0;
        await gql.subscribe<{ deliveryAttemptCreated: TailAttempt | null }>(
          TAIL,
          { webhookId: opts.webhook, projectId: opts.project },
          {
            connected: () => out.note(pc.dim(`Following delivery attempts${opts.webhook ? ` of ${opts.webhook}` : ''} (Ctrl-C to stop)…`)),
            next: ({ deliveryAttemptCreated: attempt }) => {
              if (!attempt) return; // deleted before it could be read
              out.line(out.json ? JSON.stringify(attempt) : attemptLine(attempt));
              seen += 1;
              return opts.limit && seen >= opts.limit ? 'stop' : undefined;
            },
          },
          interruptible(),
        );
      }),
    );
};
