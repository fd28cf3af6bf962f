import { readFile } from 'node:fs/promises';
import { Option } from 'commander';
import { badInput, CliError } from '../errors.ts';
import { fetchPages, integer, jsonObject, jsonObjectFile, moreHint, withPaging } from '../options.ts';
import { batches, defaultKeyPrefix, parseNdjson, publishAll, withRouting } from '../ndjson.ts';
import { pc, record, status, table } from '../output.ts';
import { bulkPublisher, singlePublisher } from '../publishers.ts';
import type { RegisterCommands, Session } from '../session.ts';

interface EventRow {
  id: string;
  type: string;
  timestamp: string;
  data: unknown;
}

/** --tenant or --broadcast, as publishEvent's input takes them. */
function routingOf(opts: Record<string, any>): { tenantId?: string; broadcast?: boolean } {
  if (opts.tenant !== undefined && opts.broadcast) throw badInput('give --tenant or --broadcast, not both');
  return { ...(opts.tenant !== undefined ? { tenantId: opts.tenant } : {}), ...(opts.broadcast ? { broadcast: true } : {}) };
}

async function publishOne({ gql, out }: Session, type: string | undefined, opts: Record<string, any>) {
  if (!type) throw badInput("give an event type (hookpost events publish order.shipped --data '{…}'), or --ndjson <file>");
  if (opts.data && opts.file) throw badInput('give --data or --file, not both');
  const data = opts.file ? await jsonObjectFile(opts.file) : (opts.data ?? {});
  const { publishEvent } = await gql.request(
    'mutation($input: PublishEventInput!) { publishEvent(input: $input) { replayed deliveryCount event { id type timestamp data } } }',
    { input: { type, data, idempotencyKey: opts.idempotencyKey, projectId: opts.project, ...routingOf(opts) } },
  );
  const { event, deliveryCount, replayed } = publishEvent;
  out.result(publishEvent, () =>
    replayed
      ? `${event.id} was already published with this idempotency key (${deliveryCount} deliveries); nothing new sent`
      : `Published ${event.id} (${event.type}) to ${deliveryCount} webhook${deliveryCount === 1 ? '' : 's'}`,
  );
}

async function publishNdjson({ gql, out, interruptible }: Session, path: string, opts: Record<string, any>) {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    throw badInput(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const keyPrefix: string = opts.keyPrefix ?? defaultKeyPrefix(content);
  const events = withRouting(parseNdjson(content, keyPrefix), routingOf(opts));
  const routed = events.some((e) => e.tenantId !== undefined || e.broadcast !== undefined);
  const publisher =
    (await bulkPublisher(
      gql,
      opts.project,
      opts.concurrency ?? 2,
      events.some((e) => e.projectId),
      routed,
    )) ?? singlePublisher(gql, opts.project, opts.concurrency ?? 16);
  const { SingleBar } = await import('cli-progress'); // only NDJSON publishing draws a bar
  const bar = !out.json && process.stderr.isTTY ? new SingleBar({ format: ' {bar} {value}/{total} events  {eta_formatted} left', hideCursor: true }) : null;
  bar?.start(events.length, 0);
  const started = Date.now();
  const signal = interruptible();
  const work = batches(events, publisher.batchSize);
  const tally = await publishAll(work, publisher.publish, publisher.concurrency, (done) => bar?.update(done), signal);
  bar?.stop();
  const summary = { file: path, lines: events.length, ...tally, mode: publisher.mode, keyPrefix, durationMs: Date.now() - started };
  out.result(summary, () =>
    [
      `${path}: ${events.length} events in ${(summary.durationMs / 1000).toFixed(1)} s (${publisher.mode}, ${publisher.concurrency} at a time)`,
      record([
        ['published', `${tally.published} new events, ${tally.deliveries} deliveries`],
        ['replayed', `${tally.replayed} (already published: idempotency key matched, nothing sent again)`],
        ...(tally.remaining ? ([['remaining', pc.red(`${tally.remaining} not published`)]] as [string, string][]) : []),
        ...(tally.failure
          ? ([['stopped at', pc.red(`line ${tally.failure.line}: [${tally.failure.code}] ${tally.failure.message}`)]] as [string, string][])
          : []),
        ['key prefix', keyPrefix],
        ...(tally.remaining
          ? ([['to resume', `run the same command again (after editing the file, add --key-prefix ${keyPrefix})`]] as [string, string][])
          : []),
      ]),
    ].join('\n'),
  );
  if (tally.failure) throw new CliError(tally.failure.code, `line ${tally.failure.line}: ${tally.failure.message}`);
  if (tally.remaining) throw new CliError('INTERRUPTED', `stopped with ${tally.remaining} events left; run the same command again to resume`);
}

export const registerEvents: RegisterCommands = (program, act) => {
  const events = program.command('events').description('publish and read events');

  events
    .command('publish')
    .description('publish an event (TYPE with --data or --file), or many from an NDJSON file (--ndjson)')
    .argument('[type]', 'a dot-separated event type, e.g. order.shipped')
    .option('--data <json>', 'the event data, a JSON object (default {})', jsonObject)
    .option('--file <path>', 'read the event data from a JSON file')
    .option('--idempotency-key <key>', 'publishing again with this key within 24 h sends nothing new')
    .option('--project <id>', 'the project (admin key)')
    .option('--tenant <id>', "to this tenant's webhooks and the project-wide ones (default: the project-wide ones only)")
    .option('--broadcast', "to every tenant's webhooks and the project-wide ones")
    .option('--ndjson <path>', 'publish every line of this file: {"type": "…", "data": {…}, "idempotencyKey"?: "…", "tenantId"?: "…"}')
    .addOption(new Option('--concurrency <n>', 'requests in flight for --ndjson (default 16, or 2 bulk requests)').argParser(integer(1, 64)))
    .option('--key-prefix <prefix>', 'for --ndjson: lines without a key get <prefix>:<line number> (default ndjson:<sha256 of the file>)')
    .addHelpText(
      'after',
      `
With --ndjson every line is checked first (one bad line refuses the file), then published with an
idempotency key, so running the same file again resumes: lines already published are replayed, not
sent twice. The bulk mutation publishEvents is used where the server has it. A line's own "tenantId"
or "broadcast" wins over --tenant and --broadcast.`,
    )
    .action(
      act(async (session, type: string | undefined, opts) => {
        if (!opts.ndjson) return publishOne(session, type, opts);
        if (type || opts.data || opts.file || opts.idempotencyKey) {
          throw badInput('--ndjson takes its types, data and keys from the file: leave out TYPE, --data, --file and --idempotency-key');
        }
        return publishNdjson(session, opts.ndjson, opts);
      }),
    );

  withPaging(
    events
      .command('list')
      .description('events, newest first')
      .option('--type <type>', 'only this type')
      .option('--tenant <id>', "only this tenant's (with the broadcasts it was sent)")
      .option('--project <id>', 'the project (admin key)'),
  ).action(
    act(async ({ gql, out }, opts) => {
      const page = await fetchPages<EventRow>(
        gql,
        'query($projectId: ID, $type: String, $tenantId: String, $first: Int, $after: String) { events(projectId: $projectId, type: $type, tenantId: $tenantId, first: $first, after: $after) { edges { node { id type timestamp data } } pageInfo { hasNextPage endCursor } } }',
        { projectId: opts.project, type: opts.type, tenantId: opts.tenant },
        (d) => d.events,
        opts,
      );
      out.result(
        page,
        () =>
          table(
            ['ID', 'TYPE', 'TIMESTAMP', 'DATA'],
            page.nodes.map((e) => [e.id, e.type, e.timestamp, JSON.stringify(e.data).slice(0, 60)]),
          ) + moreHint(page),
      );
    }),
  );

  events
    .command('get')
    .description('one event, its data and its deliveries')
    .argument('<id>', 'the event id (evt_…)')
    .action(
      act(async ({ gql, out }, id: string) => {
        const { event } = await gql.request(
          'query($id: ID!) { event(id: $id) { id type timestamp data deliveries(first: 100) { edges { node { id status attemptCount webhook { id } } } } } }',
          { id },
        );
        const deliveries = event.deliveries.edges.map((e: { node: unknown }) => e.node);
        out.result({ ...event, deliveries }, () =>
          [
            record([
              ['id', event.id],
              ['type', event.type],
              ['timestamp', event.timestamp],
              ['data', JSON.stringify(event.data)],
            ]),
            '',
            table(
              ['DELIVERY', 'STATUS', 'ATTEMPTS', 'WEBHOOK'],
              deliveries.map((d: any) => [d.id, status(d.status), d.attemptCount, d.webhook.id]),
            ),
          ].join('\n'),
        );
      }),
    );
};
