import { type Command, Option } from 'commander';
import { badInput } from '../errors.ts';
import { fetchPages, header, integer, json, jsonObject, list, moreHint, numberList, withPaging } from '../options.ts';
import { active, record, shownOnce, status, table } from '../output.ts';
import type { RegisterCommands } from '../session.ts';

export const WEBHOOK_FIELDS = `id name description url events active ordered headers sensitiveHeaders timeoutSeconds secretHint retryPolicy retrySchedule
  filter previousSecretExpiresAt consecutiveFailures disabledReason disabledAt createdAt updatedAt tenantId project { id }
  circuit { state openedAt nextProbeAt }`;

interface Webhook {
  id: string;
  name: string | null;
  description: string | null;
  url: string;
  events: string[];
  active: boolean;
  ordered: boolean;
  headers: Record<string, string>;
  sensitiveHeaders: string[];
  timeoutSeconds: number;
  secretHint: string;
  retryPolicy: unknown;
  retrySchedule: number[];
  filter: unknown;
  previousSecretExpiresAt: string | null;
  consecutiveFailures: number;
  disabledReason: string | null;
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
  tenantId: string | null;
  project: { id: string };
  circuit: { state: string; openedAt: string | null; nextProbeAt: string | null };
}

/** The circuit in words: what a held endpoint waits for. */
function circuitLine(c: Webhook['circuit']): string {
  if (c.state === 'CLOSED') return 'closed';
  if (c.state === 'HALF_OPEN') return `half-open since ${c.openedAt}: one probe is under way, the rest held`;
  return `open since ${c.openedAt}: deliveries held, next probe at ${c.nextProbeAt}`;
}

export function webhookRecord(w: Webhook): string {
  return record([
    ['id', w.id],
    ['name', w.name],
    ['description', w.description],
    ['url', w.url],
    ['events', w.events.join(', ')],
    ['filter', w.filter ? JSON.stringify(w.filter) : null],
    ['active', active(w.active) + (w.disabledReason ? ` (${w.disabledReason}, ${w.disabledAt})` : '')],
    ['ordered', w.ordered ? 'yes: one at a time, in publish order' : 'no'],
    // Sensitive values arrive as hints (••••1234) from the API: the CLI never has them to print.
    ['headers', Object.keys(w.headers ?? {}).length ? JSON.stringify(w.headers) : null],
    ['sensitive', w.sensitiveHeaders?.length ? w.sensitiveHeaders.join(', ') : null],
    ['timeout', `${w.timeoutSeconds} s`],
    ['retries', `after ${w.retrySchedule.join(', ')} s${w.retryPolicy ? '' : ' (default)'}`],
    [
      'secret',
      `…${w.secretHint}` +
        (w.previousSecretExpiresAt
          ? ` (rotating: the previous one signs too, alone in the branded header, until finish-rotation or ${w.previousSecretExpiresAt})`
          : ''),
    ],
    ['failures', w.consecutiveFailures],
    ['circuit', w.circuit ? circuitLine(w.circuit) : null],
    ['project', w.project.id],
    ['tenant', w.tenantId ?? 'none (project-wide)'],
    ['created', w.createdAt],
    ['updated', w.updatedAt],
  ]);
}

/** The options createWebhook and updateWebhook share. */
function endpointOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'a name for people')
    .option('--description <text>', 'a description')
    .option(
      '--header <name:value>',
      'an extra request header (repeatable; on update, replaces them all; a sensitive one given as its hint ••••1234 keeps its value)',
      header,
    )
    .option('--sensitive-headers <names>', 'more header names, comma-separated, whose values are encrypted and shown only as a hint', list)
    .addOption(new Option('--timeout <seconds>', 'how long an attempt may take').argParser(integer(1, 60)))
    .option('--retry-schedule <seconds,…>', 'seconds to wait after each failed attempt, e.g. 60,300,900', numberList)
    .option('--ordered', 'deliver one at a time, in publish order')
    .option('--no-ordered', 'deliver as many at a time as maxConcurrency allows (the default)')
    .option('--retry-policy <json>', 'a retryPolicy object, e.g. \'{"maxAttempts":5,"initialDelaySeconds":30}\' (null: the default)', json)
    .option('--filter <json>', 'only events matching this MongoDB-style query, e.g. \'{"data.severity":{"$in":["HIGH"]}}\' (null: none)');
}

/** Parsed here, not by a commander parser, which would turn `null` (no filter) into ''. */
function filterOption(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    throw badInput(`--filter: not valid JSON: ${(err as Error).message}`);
  }
}

/** Only the options given: on update, a missing option leaves that field as it is. */
function endpointInput(opts: Record<string, any>): Record<string, unknown> {
  if (opts.retrySchedule && opts.retryPolicy !== undefined) throw badInput('give --retry-schedule or --retry-policy, not both');
  const input: Record<string, unknown> = {
    url: opts.url,
    events: opts.events,
    name: opts.name,
    description: opts.description,
    headers: opts.header,
    sensitiveHeaders: opts.sensitiveHeaders,
    timeoutSeconds: opts.timeout,
    ordered: opts.ordered,
    retryPolicy: opts.retrySchedule ? { schedule: opts.retrySchedule } : opts.retryPolicy,
    filter: opts.filter === undefined ? undefined : filterOption(opts.filter),
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

export const registerWebhooks: RegisterCommands = (program, act) => {
  const webhooks = program.command('webhooks').description('endpoints that receive events');

  withPaging(
    webhooks
      .command('list')
      .description("a project's webhooks, newest first")
      .option('--tenant <id>', "only this tenant's")
      .option('--project <id>', 'the project (admin key)'),
  ).action(
    act(async ({ gql, out }, opts) => {
      const page = await fetchPages<Webhook>(
        gql,
        `query($projectId: ID, $tenantId: String, $first: Int, $after: String) { webhooks(projectId: $projectId, tenantId: $tenantId, first: $first, after: $after) { edges { node { ${WEBHOOK_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
        { projectId: opts.project, tenantId: opts.tenant },
        (d) => d.webhooks,
        opts,
      );
      out.result(
        page,
        () =>
          table(
            ['ID', 'NAME', 'URL', 'EVENTS', 'TENANT', 'ACTIVE'],
            page.nodes.map((w) => [w.id, w.name, w.url, w.events.join(','), w.tenantId, active(w.active)]),
          ) + moreHint(page),
      );
    }),
  );

  webhooks
    .command('get')
    .description('one webhook')
    .argument('<id>', 'the webhook id (whk_…)')
    .action(
      act(async ({ gql, out }, id: string) => {
        const { webhook } = await gql.request(`query($id: ID!) { webhook(id: $id) { ${WEBHOOK_FIELDS} } }`, { id });
        out.result(webhook, () => webhookRecord(webhook));
      }),
    );

  endpointOptions(
    webhooks
      .command('create')
      .description('create a webhook; its signing secret is printed once')
      .requiredOption('--url <url>', 'where deliveries are POSTed')
      .requiredOption('--events <types>', 'event types, comma-separated; * is a wildcard segment ("order.*", "*")', list)
      .option('--secret <whsec_…>', 'the signing secret (default: a new one)')
      .option('--disabled', 'create it inactive')
      .option('--tenant <id>', "the tenant (one of the SaaS's customers) it belongs to; it can't be changed later")
      .option('--project <id>', 'the project (admin key)'),
  ).action(
    act(async ({ gql, out }, opts) => {
      const input = { ...endpointInput(opts), secret: opts.secret, active: opts.disabled ? false : undefined, projectId: opts.project, tenantId: opts.tenant };
      const { createWebhook } = await gql.request(
        `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { ${WEBHOOK_FIELDS} } } }`,
        { input },
      );
      out.result(createWebhook, () => webhookRecord(createWebhook.webhook) + '\n' + shownOnce('Signing secret', createWebhook.secret));
    }),
  );

  endpointOptions(
    webhooks
      .command('update')
      .description('change a webhook; options left out stay as they are')
      .argument('<id>', 'the webhook id (whk_…)')
      .option('--url <url>', 'where deliveries are POSTed')
      .option('--events <types>', 'event types, comma-separated', list)
      .option('--enable', 'enable it (held deliveries resume)')
      .option('--disable', 'disable it (deliveries are held)'),
  ).action(
    act(async ({ gql, out }, id: string, opts) => {
      if (opts.enable && opts.disable) throw badInput('give --enable or --disable, not both');
      const input = { id, ...endpointInput(opts), ...(opts.enable ? { active: true } : opts.disable ? { active: false } : {}) };
      const { updateWebhook } = await gql.request(`mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) { webhook { ${WEBHOOK_FIELDS} } } }`, {
        input,
      });
      out.result(updateWebhook.webhook, () => webhookRecord(updateWebhook.webhook));
    }),
  );

  webhooks
    .command('delete')
    .description('delete a webhook and its deliveries')
    .argument('<id>', 'the webhook id (whk_…)')
    .action(
      act(async ({ gql, out }, id: string) => {
        const { deleteWebhook } = await gql.request('mutation($id: ID!) { deleteWebhook(input: { id: $id }) { deletedWebhookId } }', { id });
        out.result(deleteWebhook, () => `Deleted ${deleteWebhook.deletedWebhookId}`);
      }),
    );

  webhooks
    .command('rotate-secret')
    .description('give a webhook a new signing secret (printed once); the old one keeps signing until finish-rotation or the grace period ends')
    .argument('<id>', 'the webhook id (whk_…)')
    .option('--secret <whsec_…>', 'the new secret (default: a new one)')
    .addOption(new Option('--grace-period <seconds>', 'how long the old secret signs too (default 86400; 0 ends it now)').argParser(integer(0)))
    .action(
      act(async ({ gql, out }, id: string, opts) => {
        const { rotateWebhookSecret } = await gql.request(
          `mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { secret webhook { ${WEBHOOK_FIELDS} } } }`,
          { input: { id, secret: opts.secret, gracePeriodSeconds: opts.gracePeriod } },
        );
        out.result(rotateWebhookSecret, () => webhookRecord(rotateWebhookSecret.webhook) + '\n' + shownOnce('New signing secret', rotateWebhookSecret.secret));
      }),
    );

  webhooks
    .command('finish-rotation')
    .description('end a rotation now, once the receiver has the new secret: only the new one signs from the next attempt on')
    .argument('<id>', 'the webhook id (whk_…)')
    .action(
      act(async ({ gql, out }, id: string) => {
        const { finishWebhookSecretRotation } = await gql.request(
          `mutation($input: FinishWebhookSecretRotationInput!) { finishWebhookSecretRotation(input: $input) { webhook { ${WEBHOOK_FIELDS} } } }`,
          { input: { id } },
        );
        out.result(finishWebhookSecretRotation.webhook, () => webhookRecord(finishWebhookSecretRotation.webhook));
      }),
    );

  webhooks
    .command('test')
    .description('send a real, signed test delivery (its data carries "test": true)')
    .argument('<id>', 'the webhook id (whk_…)')
    .option('--type <type>', 'the event type (default webhook.test)')
    .option('--data <json>', 'sample data, a JSON object', jsonObject)
    .action(
      act(async ({ gql, out }, id: string, opts) => {
        const { sendTestEvent } = await gql.request(
          'mutation($input: SendTestEventInput!) { sendTestEvent(input: $input) { delivery { id status event { id type } } } }',
          { input: { webhookId: id, eventType: opts.type, data: opts.data } },
        );
        const d = sendTestEvent.delivery;
        out.result(d, () => `Sent ${d.event.type} to ${id}: delivery ${d.id} ${status(d.status)} (follow it: hookpost deliveries get ${d.id})`);
      }),
    );
};
