// docs/configuration.md, rendered from the environment schema in src/core/config.ts: every variable
// with its group, description, default and accepted values comes from the schema itself, so the page
// cannot say what the code does not do. `npm run docs:config` writes it; test/docs/configDocs.test.ts
// fails when the page and the schema differ.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';

export const CONFIG_DOCS_PATH = 'docs/configuration.md';

export interface VariableDoc {
  name: string;
  group: string;
  description: string;
  /** As one would write it in the environment; undefined when unset by default. */
  defaultValue: string | undefined;
  /** The values it takes, as a phrase ('a whole number from 0 to 65535'); empty for any string. */
  accepts: string;
}

interface FieldMeta {
  group?: unknown;
  description?: unknown;
  /** The default as written in the environment, for a default the schema keeps only in parsed form. */
  envDefault?: unknown;
}

/** The default as an environment value, checked to parse back into the very default the schema has. */
function defaultOf(name: string, field: z.ZodType, meta: FieldMeta): string | undefined {
  const unset = field.safeParse(undefined);
  if (!unset.success) throw new Error(`${name}: every variable needs a default or .optional()`);
  if (unset.data === undefined) return undefined;
  const value = unset.data;
  let written: string;
  if (typeof meta.envDefault === 'string') written = meta.envDefault;
  else if (['string', 'number', 'boolean'].includes(typeof value)) written = String(value);
  else if (Array.isArray(value) && value.every((v) => ['string', 'number'].includes(typeof v))) written = value.join(',');
  else throw new Error(`${name}: its default is not a plain value; give the schema meta({ envDefault }) as it would be written in the environment`);
  const reread = field.safeParse(written);
  if (!reread.success || !isDeepStrictEqual(reread.data, value)) {
    throw new Error(`${name}: the documented default ${JSON.stringify(written)} does not parse into the schema's default`);
  }
  return written;
}

/** A bound worth saying: zod's `.int()` alone bounds a number by the safe integers. */
const bound = (n: unknown): n is number => typeof n === 'number' && Math.abs(n) < Number.MAX_SAFE_INTEGER;

const list = (values: unknown[]) => {
  const shown = values.map((v) => `\`${v}\``);
  return shown.length === 2 ? `${shown[0]} or ${shown[1]}` : `one of ${shown.join(', ')}`;
};

/** What the variable takes, read from the schema's input side as JSON Schema; '' for any string. */
function acceptsOf(field: z.ZodType): string {
  const json = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  if (Array.isArray(json.enum)) return list(json.enum);
  if (json.type === 'integer' || json.type === 'number') {
    const what = json.type === 'integer' ? 'a whole number' : 'a number';
    const min = json.minimum ?? json.exclusiveMinimum;
    const max = json.maximum;
    if (bound(min) && bound(max)) return `${what} from ${min} to ${max}`;
    if (bound(min)) return `${what} of at least ${min}`;
    if (bound(max)) return `${what} of at most ${max}`;
    return what;
  }
  if (json.format === 'uri') return 'a URL';
  if (typeof json.minLength === 'number' && json.minLength > 1) return `a string of at least ${json.minLength} characters`;
  return '';
}

/** Every variable of the schema, in the schema's order, with what the page says of it. */
export function describeVariables(shape: Record<string, z.ZodType>): VariableDoc[] {
  return Object.entries(shape).map(([name, field]) => {
    const meta = (field.meta() ?? {}) as FieldMeta;
    if (typeof meta.description !== 'string' || !meta.description) throw new Error(`${name}: describe it in the schema (meta({ group, description }))`);
    if (typeof meta.group !== 'string' || !meta.group) throw new Error(`${name}: give it a group in the schema (meta({ group, description }))`);
    return { name, group: meta.group, description: meta.description, defaultValue: defaultOf(name, field, meta), accepts: acceptsOf(field) };
  });
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

const INTRO = `# Configuration

<!-- Generated from src/core/config.ts by \`npm run docs:config\`: change the descriptions there, not here. -->

You want to run Hookpost with settings of your own: a database elsewhere, keys of your own, another
retry schedule. Every setting is an environment variable, read once when a process starts, in one
place (\`src/core/config.ts\`). An empty variable counts as unset. A value the schema refuses stops the
process before it does anything, with one line naming the variable, e.g.
\`hookpost: cannot start: Invalid configuration: PORT: Too big: expected number to be <=65535\`.

The API and the workers read the same variables; give every process of a deployment the same values
(see [Operations](operations.md) for running them apart).
`;

const OUTRO = `
## Not read from this schema

- The \`hookpost\` CLI is a separate program and reads its own two variables, \`HOOKPOST_URL\` and
  \`HOOKPOST_API_KEY\` (see [the CLI](cli.md)).
`;

export function renderConfigDocs(shape: Record<string, z.ZodType>): string {
  const variables = describeVariables(shape);
  const groups = [...new Set(variables.map((v) => v.group))];
  const sections = groups.map((group) => {
    const rows = variables
      .filter((v) => v.group === group)
      .map((v) => {
        const shown = v.defaultValue === undefined ? 'unset' : v.defaultValue === '' ? 'empty' : `\`${v.defaultValue}\``;
        const takes = v.accepts ? ` Takes ${v.accepts}.` : '';
        return `| \`${v.name}\` | ${cell(shown)} | ${cell(v.description + takes)} |`;
      });
    return [`## ${group}`, '', '| variable | default | what it does |', '|---|---|---|', ...rows].join('\n');
  });
  return `${INTRO}\n${sections.join('\n\n')}\n${OUTRO}`;
}
