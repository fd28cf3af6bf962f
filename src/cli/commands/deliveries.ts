import { Option } from 'commander';
import { fetchPages, integer, isoDate, moreHint, withPaging } from '../options.ts';
import { pc, record, status, table } from '../output.ts';
import type { RegisterCommands } from '../session.ts';

const STATUSES = ['PENDING', 'RETRYING', 'SUCCEEDED', 'FAILED'];
const DELIVERY_FIELDS = 'id status attemptCount nextAttemptAt heldBy heldUntil createdAt updatedAt webhook { id url } event { id type }';

interface Delivery {
  id: string;
  status: string;
  attemptCount: number;
  nextAttemptAt: string | null;
  heldBy: 'WEBHOOK_DISABLED' | 'CIRCUIT_OPEN' | null;
  heldUntil: string | null;
  createdAt: string;
  updatedAt: string;
  webhook: { id: string; url: string };
  event: { id: string; type: string };
}

/** When it goes next, in words: a held delivery says what holds it instead of a time already past. */
function nextAttempt(d: Delivery): string | null {
  if (d.heldBy === 'WEBHOOK_DISABLED') return 'held: webhook disabled';
  if (d.heldBy === 'CIRCUIT_OPEN') return d.heldUntil ? `held: circuit open, probe at ${d.heldUntil}` : 'held: circuit probing';
  return d.nextAttemptAt;
}

export interface Attempt {
  id: string;
  attemptNumber: number;
  url: string;
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
  succeeded: boolean;
  createdAt: string;
  responseBody?: string | null;
}

export function outcome(a: Pick<Attempt, 'succeeded' | 'responseStatus' | 'error'>): string {
  const what = a.responseStatus ? String(a.responseStatus) : (a.error ?? 'no response');
  return a.succeeded ? pc.green(`✓ ${what}`) : pc.red(`✗ ${what}`);
}

export const registerDeliveries: RegisterCommands = (program, act) => {
  const deliveries = program.command('deliveries').description('deliveries of events to webhooks, with their attempts');

  withPaging(
    deliveries
      .command('list')
      .description('deliveries, newest first (--status FAILED is the dead-letter list)')
      .option('--webhook <id>', 'of one webhook')
      .option('--event <id>', 'of one event')
      .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
      .option('--project <id>', 'of one project (admin key)'),
  ).action(
    act(async ({ gql, out }, opts) => {
      const page = await fetchPages<Delivery>(
        gql,
        `query($webhookId: ID, $eventId: ID, $status: DeliveryStatus, $projectId: ID, $first: Int, $after: String) {
          deliveries(webhookId: $webhookId, eventId: $eventId, status: $status, projectId: $projectId, first: $first, after: $after) {
            edges { node { ${DELIVERY_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
        { webhookId: opts.webhook, eventId: opts.event, status: opts.status, projectId: opts.project },
        (d) => d.deliveries,
        opts,
      );
      out.result(
        page,
        () =>
          table(
            ['ID', 'STATUS', 'ATTEMPTS', 'EVENT', 'TYPE', 'WEBHOOK', 'NEXT ATTEMPT'],
            page.nodes.map((d) => [d.id, status(d.status), d.attemptCount, d.event.id, d.event.type, d.webhook.id, nextAttempt(d)]),
          ) + moreHint(page),
      );
    }),
  );

  deliveries
    .command('get')
    .description('one delivery and its attempts, newest first')
    .argument('<id>', 'the delivery id (dlv_…)')
    .addOption(new Option('--attempts <n>', 'how many attempts to show').argParser(integer(1, 100)).default(20))
    .action(
      act(async ({ gql, out }, id: string, opts) => {
        const { delivery } = await gql.request(
          `query($id: ID!, $attempts: Int) { delivery(id: $id) { ${DELIVERY_FIELDS}
            attempts(first: $attempts) { edges { node { id attemptNumber url responseStatus durationMs error succeeded createdAt responseBody } } } } }`,
          { id, attempts: opts.attempts },
        );
        const attempts: Attempt[] = delivery.attempts.edges.map((e: { node: Attempt }) => e.node);
        out.result({ ...delivery, attempts }, () =>
          [
            record([
              ['id', delivery.id],
              ['status', status(delivery.status)],
              ['event', `${delivery.event.id} (${delivery.event.type})`],
              ['webhook', `${delivery.webhook.id} ${delivery.webhook.url}`],
              ['attempts', delivery.attemptCount],
              ['next attempt', nextAttempt(delivery)],
              ['created', delivery.createdAt],
            ]),
            '',
            table(
              ['#', 'OUTCOME', 'DURATION', 'AT', 'RESPONSE'],
              attempts.map((a) => [a.attemptNumber, outcome(a), `${a.durationMs} ms`, a.createdAt, a.responseBody?.replace(/\s+/g, ' ').slice(0, 60)]),
            ),
          ].join('\n'),
        );
      }),
    );

  deliveries
    .command('retry')
    .description('attempt a delivery now (FAILED: a fresh schedule; SUCCEEDED: a resend)')
    .argument('<id>', 'the delivery id (dlv_…)')
    .action(
      act(async ({ gql, out }, id: string) => {
        const { retryDelivery } = await gql.request(`mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { ${DELIVERY_FIELDS} } } }`, { id });
        const d: Delivery = retryDelivery.delivery;
        out.result(d, () => `Queued ${d.id} for another attempt (${status(d.status)}, ${d.attemptCount} attempts so far)`);
      }),
    );

  deliveries
    .command('recover')
    .description('re-queue every FAILED delivery of a webhook whose event falls in [since, until)')
    .requiredOption('--webhook <id>', 'the webhook id (whk_…)')
    .requiredOption('--since <date>', 'ISO date-time, e.g. 2026-01-31T00:00:00Z', isoDate)
    .option('--until <date>', 'ISO date-time (default: now)', isoDate)
    .action(
      act(async ({ gql, out }, opts) => {
        const { recoverFailedDeliveries } = await gql.request(
          'mutation($input: RecoverFailedDeliveriesInput!) { recoverFailedDeliveries(input: $input) { count } }',
          { input: { webhookId: opts.webhook, since: opts.since, until: opts.until } },
        );
        out.result(recoverFailedDeliveries, () => `Re-queued ${recoverFailedDeliveries.count} failed deliveries of ${opts.webhook}`);
      }),
    );
};
