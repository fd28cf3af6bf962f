import { describe, expect, it } from 'vitest';
import { resolveCliConfig } from '../../src/cli/config.ts';
import { CliError } from '../../src/cli/errors.ts';
import { batches, defaultKeyPrefix, type NdjsonEvent, parseNdjson, publishAll } from '../../src/cli/ndjson.ts';
import { table } from '../../src/cli/output.ts';

describe('CLI configuration', () => {
  it.each([
    [{}, {}, 'http://localhost:4000/graphql', 'ws://localhost:4000/graphql'],
    [{}, { HOOKPOST_URL: 'http://api.internal:4000' }, 'http://api.internal:4000/graphql', 'ws://api.internal:4000/graphql'],
    [{}, { HOOKPOST_URL: 'https://hooks.example.com/' }, 'https://hooks.example.com/graphql', 'wss://hooks.example.com/graphql'],
    [{}, { HOOKPOST_URL: 'https://example.com/hookpost/graphql' }, 'https://example.com/hookpost/graphql', 'wss://example.com/hookpost/graphql'],
    [{ url: 'http://127.0.0.1:5000' }, { HOOKPOST_URL: 'http://ignored:1' }, 'http://127.0.0.1:5000/graphql', 'ws://127.0.0.1:5000/graphql'],
  ])('flags %j over env %j: %s', (flags, env, url, wsUrl) => {
    expect(resolveCliConfig(flags, env)).toMatchObject({ url, wsUrl });
  });

  it('takes the key from --api-key over HOOKPOST_API_KEY, and refuses what is not an http(s) URL', () => {
    expect(resolveCliConfig({ apiKey: 'hpk_flag' }, { HOOKPOST_API_KEY: 'hpk_env' }).apiKey).toBe('hpk_flag');
    expect(resolveCliConfig({}, { HOOKPOST_API_KEY: 'hpk_env' }).apiKey).toBe('hpk_env');
    expect(() => resolveCliConfig({ url: 'localhost:4000' }, {})).toThrow(/http\(s\)/);
    expect(() => resolveCliConfig({ url: 'not a url' }, {})).toThrow(CliError);
  });
});

describe('NDJSON files', () => {
  it('gives each line without a key of its own <prefix>:<line number>; blank lines keep the numbering', () => {
    const events = parseNdjson('{"type":"a.b","data":{"x":1}}\n\n{"type":"a.c","idempotencyKey":"mine"}\n', 'p');
    expect(events).toEqual([
      { line: 1, type: 'a.b', data: { x: 1 }, idempotencyKey: 'p:1' },
      { line: 3, type: 'a.c', data: {}, idempotencyKey: 'mine' },
    ]);
  });

  it('names the lines that are wrong, and refuses the file', () => {
    const bad = ['[1]', '{"type":""}', '{"type":"a","data":[]}', '{"type":"a","extra":1}', 'nope', '{"type":"a","idempotencyKey":7}'].join('\n');
    let error: CliError | undefined;
    try {
      parseNdjson(bad, 'p');
    } catch (err) {
      error = err as CliError;
    }
    expect(error?.code).toBe('BAD_USER_INPUT');
    expect(error?.message).toMatch(
      /^line 1: expected an object.*; line 2: "type".*; line 3: "data".*; line 4: unknown key "extra"; line 5: not JSON.*; and 1 more$/,
    );
    expect(() => parseNdjson('\n\n', 'p')).toThrow(/no events/);
  });

  it('derives the default prefix from the content, so the same file gets the same keys', () => {
    expect(defaultKeyPrefix('a')).toBe('ndjson:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb');
    expect(defaultKeyPrefix('a')).not.toBe(defaultKeyPrefix('b'));
  });

  const event = (line: number, bytes = 10): NdjsonEvent => ({ line, type: 't', data: { pad: 'x'.repeat(bytes) }, idempotencyKey: `k:${line}` });

  it('batches by count and by size', () => {
    const ten = Array.from({ length: 10 }, (_, i) => event(i + 1));
    expect(batches(ten, 4).map((b) => b.map((e) => e.line))).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10],
    ]);
    expect(batches([event(1, 300), event(2, 300), event(3, 300)], 100, 800).map((b) => b.length)).toEqual([2, 1]);
  });

  it('tallies new and replayed events, and takes no new batch after a failure', async () => {
    const work = [[event(1)], [event(2)], [event(3)], [event(4)]];
    const sent: number[] = [];
    const tally = await publishAll(
      work,
      async ([e]) => {
        sent.push(e.line);
        if (e.line === 3) throw new CliError('BAD_USER_INPUT', 'no');
        return [{ replayed: e.line === 2, deliveryCount: 2 }];
      },
      1,
    );
    expect(sent).toEqual([1, 2, 3]);
    expect(tally).toEqual({ published: 1, replayed: 1, deliveries: 2, remaining: 2, failure: { code: 'BAD_USER_INPUT', message: 'no', line: 3 } });
  });
});

describe('tables', () => {
  it('pads columns to their widest cell and shows empty cells as -', () => {
    const plain = table(
      ['ID', 'NAME'],
      [
        ['whk_1', null],
        ['whk_22', 'orders'],
      ],
    ).replace(/\u001b\[[0-9;]*m/g, ''); // colours on a terminal
    expect(plain.split('\n')).toEqual(['ID      NAME', 'whk_1   -', 'whk_22  orders']);
  });
});
