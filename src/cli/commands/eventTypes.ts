import { Option } from 'commander';
import { fetchPages, moreHint, withPaging } from '../options.ts';
import { table } from '../output.ts';
import type { RegisterCommands } from '../session.ts';

interface EventType {
  id: string;
  name: string;
  description: string | null;
  deprecated: boolean;
  schema: unknown;
  example: unknown;
}

/** The catalog is read here; it is written through the API (its schemas are JSON, better kept in files a script sends). */
export const registerEventTypes: RegisterCommands = (program, act) => {
  const eventTypes = program.command('event-types').description("a project's event-type catalog");

  withPaging(
    eventTypes
      .command('list')
      .description('list the catalog by name (--json includes each schema and example)')
      .option('--deprecated', 'include deprecated types')
      .addOption(new Option('--project <id>', 'the project (needed with an admin key; a project key implies its own)')),
  ).action(
    act(async ({ gql, out }, opts) => {
      const page = await fetchPages<EventType>(
        gql,
        `query($projectId: ID, $deprecated: Boolean, $first: Int, $after: String) {
          eventTypes(projectId: $projectId, includeDeprecated: $deprecated, first: $first, after: $after) {
            edges { node { id name description deprecated schema example } } pageInfo { hasNextPage endCursor }
          }
        }`,
        { projectId: opts.project, deprecated: Boolean(opts.deprecated) },
        (d) => d.eventTypes,
        opts,
      );
      out.result(
        page,
        () =>
          table(
            ['ID', 'NAME', 'SCHEMA', 'DEPRECATED', 'DESCRIPTION'],
            page.nodes.map((t) => [t.id, t.name, t.schema === null ? 'no' : 'yes', t.deprecated ? 'yes' : 'no', t.description]),
          ) + moreHint(page),
      );
    }),
  );
};
