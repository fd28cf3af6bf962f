import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CONFIG_DOCS_PATH, describeVariables, renderConfigDocs } from '../../src/bin/configDocs.ts';
import { ENV_DOCS, envSchema } from '../../src/core/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

it('docs/configuration.md is the page rendered from the schema (run `npm run docs:config` after changing src/core/config.ts)', async () => {
  const checkedIn = await readFile(path.join(ROOT, CONFIG_DOCS_PATH), 'utf8');
  expect(checkedIn).toBe(renderConfigDocs(envSchema.shape));
});

it('documents every variable the schema reads, once each, with its default', async () => {
  const page = await readFile(path.join(ROOT, CONFIG_DOCS_PATH), 'utf8');
  const rows = [...page.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2].trim()]);
  expect(rows.map(([name]) => name).sort()).toEqual(Object.keys(envSchema.shape).sort());
  const shown = Object.fromEntries(rows);
  // Known answers, one of each kind: a number, an enum, a list kept parsed, an envelope, optional ones.
  expect(shown).toMatchObject({
    PORT: '`4000`',
    NODE_ENV: '`development`',
    HOOKPOST_RETRY_SCHEDULE: '`60,300,900,3600,21600`',
    HOOKPOST_ENVELOPE: '`id,type,timestamp,project_id,data`',
    HOOKPOST_ALLOWED_NETWORKS: 'empty',
    HOOKPOST_ADMIN_KEY: 'unset',
  });
});

it('describes no variable the schema does not read', () => {
  const described = Object.values(ENV_DOCS).flatMap((section) => Object.keys(section));
  expect(described.filter((name) => !(name in envSchema.shape))).toEqual([]);
  expect(new Set(described).size).toBe(described.length);
});

describe('the renderer refuses what it cannot document truthfully', () => {
  const about = { group: 'G', description: 'What it does.' };
  const cases: [string, z.ZodType, RegExp][] = [
    ['no description', z.string().default('x'), /describe it/],
    ['no group', z.string().default('x').meta({ description: 'd' }), /group/],
    [
      'a parsed default without its written form',
      z
        .string()
        .transform((s) => ({ s }))
        .default({ s: 'x' })
        .meta(about),
      /envDefault/,
    ],
    [
      'a written default that parses into another value',
      z.coerce
        .number()
        .default(5)
        .meta({ ...about, envDefault: '6' }),
      /does not parse/,
    ],
    ['no default and not optional', z.string().meta(about), /default or \.optional/],
  ];
  it.each(cases)('%s', (_, field, message) => {
    expect(() => describeVariables({ SOME_VARIABLE: field })).toThrow(message);
  });

  it('renders a table row per variable, grouped, with what it takes', () => {
    const page = renderConfigDocs({
      A_PORT: z.coerce.number().int().min(0).max(9).default(3).meta({ group: 'One', description: 'A port | pipe.' }),
      A_LIST: z
        .string()
        .transform((s) => s.split(',').map((p) => [p, p]))
        .default([['x', 'x']])
        .meta({ group: 'Two', description: 'Pairs.', envDefault: 'x' }),
      A_KEY: z.string().min(16).optional().meta({ group: 'One', description: 'A key.' }),
      A_COUNT: z.coerce.number().int().min(1).default(2).meta({ group: 'One', description: 'A count.' }),
      A_MODE: z.enum(['on', 'off']).default('on').meta({ group: 'One', description: 'A switch.' }),
    });
    expect(page).toContain(
      '## One\n\n| variable | default | what it does |\n|---|---|---|\n| `A_PORT` | `3` | A port \\| pipe. Takes a whole number from 0 to 9. |\n| `A_KEY` | unset |',
    );
    expect(page).toContain('| `A_KEY` | unset | A key. Takes a string of at least 16 characters. |');
    // `.int()` alone bounds a number by the safe integers: not worth saying.
    expect(page).toContain('| `A_COUNT` | `2` | A count. Takes a whole number of at least 1. |');
    expect(page).toContain('| `A_MODE` | `on` | A switch. Takes `on` or `off`. |');
    // Any string: nothing to add.
    expect(page).toContain('## Two\n\n| variable | default | what it does |\n|---|---|---|\n| `A_LIST` | `x` | Pairs. |');
  });
});

it('the README and docs/ name only environment variables that exist', async () => {
  // The CLI is a separate program with two variables of its own (src/cli/config.ts).
  const known = new Set([...Object.keys(envSchema.shape), 'HOOKPOST_URL', 'HOOKPOST_API_KEY']);
  const pages = ['README.md', ...(await readdir(path.join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const unknown: string[] = [];
  for (const page of pages) {
    const text = await readFile(path.join(ROOT, page), 'utf8');
    for (const [name] of text.matchAll(/\bHOOKPOST_[A-Z0-9_]*[A-Z0-9]\b/g)) if (!known.has(name)) unknown.push(`${page}: ${name}`);
  }
  expect(unknown).toEqual([]);
});
