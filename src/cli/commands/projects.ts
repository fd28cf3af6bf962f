import { Option } from 'commander';
import { fetchPages, moreHint, withPaging } from '../options.ts';
import { record, shownOnce, table } from '../output.ts';
import type { RegisterCommands } from '../session.ts';

interface Project {
  id: string;
  name: string;
  createdAt: string;
}

interface ApiKey {
  id: string;
  name: string;
  scope: string;
  keyHint: string;
  revokedAt: string | null;
  createdAt: string;
  project: { id: string } | null;
}

const API_KEY_FIELDS = 'id name scope keyHint revokedAt createdAt project { id }';

const projectOption = () => new Option('--project <id>', 'the project (needed with an admin key; a project key implies its own)');

export const registerProjects: RegisterCommands = (program, act) => {
  const projects = program.command('projects').description('projects (admin key)');

  withPaging(projects.command('list').description('list projects, newest first')).action(
    act(async ({ gql, out }, opts) => {
      const page = await fetchPages<Project>(
        gql,
        'query($first: Int, $after: String) { projects(first: $first, after: $after) { edges { node { id name createdAt } } pageInfo { hasNextPage endCursor } } }',
        {},
        (d) => d.projects,
        opts,
      );
      out.result(
        page,
        () =>
          table(
            ['ID', 'NAME', 'CREATED'],
            page.nodes.map((p) => [p.id, p.name, p.createdAt]),
          ) + moreHint(page),
      );
    }),
  );

  projects
    .command('create')
    .description('create a project')
    .argument('<name>', 'its name')
    .action(
      act(async ({ gql, out }, name: string) => {
        const { createProject } = await gql.request('mutation($name: String!) { createProject(input: { name: $name }) { project { id name createdAt } } }', {
          name,
        });
        const project: Project = createProject.project;
        out.result(project, () =>
          record([
            ['id', project.id],
            ['name', project.name],
            ['created', project.createdAt],
          ]),
        );
      }),
    );

  const keys = program.command('keys').description('API keys');

  withPaging(keys.command('list').description("a project's keys (hints only), revoked ones included").addOption(projectOption())).action(
    act(async ({ gql, out }, opts) => {
      const page = await fetchPages<ApiKey>(
        gql,
        `query($projectId: ID, $first: Int, $after: String) { apiKeys(projectId: $projectId, first: $first, after: $after) { edges { node { ${API_KEY_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
        { projectId: opts.project },
        (d) => d.apiKeys,
        opts,
      );
      out.result(
        page,
        () =>
          table(
            ['ID', 'NAME', 'SCOPE', 'HINT', 'REVOKED', 'CREATED'],
            page.nodes.map((k) => [k.id, k.name, k.scope, `…${k.keyHint}`, k.revokedAt, k.createdAt]),
          ) + moreHint(page),
      );
    }),
  );

  keys
    .command('create')
    .description('create an API key; the key is printed once')
    .requiredOption('--name <name>', 'what the key is for')
    .addOption(projectOption())
    .action(
      act(async ({ gql, out }, opts) => {
        const { createApiKey } = await gql.request(
          `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { ${API_KEY_FIELDS} } } }`,
          { input: { name: opts.name, projectId: opts.project } },
        );
        const apiKey: ApiKey = createApiKey.apiKey;
        out.result(
          createApiKey,
          () =>
            record([
              ['id', apiKey.id],
              ['name', apiKey.name],
              ['scope', apiKey.scope],
              ['project', apiKey.project?.id],
            ]) +
            '\n' +
            shownOnce('API key', createApiKey.key),
        );
      }),
    );

  keys
    .command('revoke')
    .description('revoke an API key (takes effect on its next request; its live streams end)')
    .argument('<id>', 'the key id (key_…)')
    .action(
      act(async ({ gql, out }, id: string) => {
        const { revokeApiKey } = await gql.request(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { ${API_KEY_FIELDS} } } }`, { id });
        const apiKey: ApiKey = revokeApiKey.apiKey;
        out.result(apiKey, () => `Revoked ${apiKey.id} (${apiKey.name}) at ${apiKey.revokedAt}`);
      }),
    );
};
