// The bench's pure parts: how figures are computed and judged, and which phases a command line runs.
import { describe, expect, it } from 'vitest';
import { parseOptions } from './options.ts';
import { figure, passes, STATS_TARGET_MS, TARGETS, type Target } from './support/figures.ts';
import { percentile, summarize } from './support/stats.ts';

describe('percentiles', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 50), percentile(values, 95), percentile(values, 99), percentile(values, 100)]).toEqual([50, 95, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('counts what never arrived as later than anything that did', () => {
    const s = summarize(
      Array.from({ length: 98 }, () => 5),
      2,
    );
    expect(s).toMatchObject({ count: 98, missing: 2, p50: 5, p95: 5, p99: Infinity, max: Infinity, mean: 5 });
  });
});

describe('targets', () => {
  it('judges each comparison as written, and a figure that was not measured as missed', () => {
    expect(passes(figure('a', 'a', 'ms', 50, TARGETS.receiveP99Ms))).toBe(true);
    expect(passes(figure('a', 'a', 'ms', 50.1, TARGETS.receiveP99Ms))).toBe(false);
    expect(passes(figure('a', 'a', 'ms', Infinity, TARGETS.receiveP99Ms))).toBe(false);
    expect(passes(figure('a', 'a', '%', 10, TARGETS.rssGrowthPercent))).toBe(false);
    expect(passes(figure('a', 'a', '×', 1, TARGETS.scaleOutRatio))).toBe(false);
    expect(passes(figure('a', 'a', '%', Number.NaN, TARGETS.throughputShare))).toBe(false);
    expect(passes(figure('a', 'a', '×', 0.75, TARGETS.bulkFloorShare))).toBe(true);
    expect(passes(figure('a', 'a', '×', 0.74, TARGETS.bulkFloorShare))).toBe(false);
    expect(passes(figure('a', 'a', '/s', 3))).toBeUndefined();
  });
});

// Each target as its issue gives it: operator, figure, unit, and where it comes from. Where an issue
// gives no figure, the derivation is written out and checked below.
const FROM_THE_ISSUES: Record<keyof typeof TARGETS, [Target['op'], number, string, string]> = {
  throughputShare: ['>=', 50, '%', 'issue 8: deliveries/s at least 50 % of the raw ceiling'],
  bulkFloorShare: ['>=', 0.75, '×', 'issue 24 and 31: bulk path ≥ 0.75 of the durable floor'],
  singleFloorShare: ['>=', 0.35, '×', 'issue 31: single publishes (64 concurrent publishers) ≥ 0.35 of the floor'],
  receiveP50Ms: ['<=', 10, 'ms', 'issue 31: at 500 events/s, publish → receive p50 ≤ 10 ms'],
  receiveP99Ms: ['<=', 50, 'ms', 'issue 31: p99 ≤ 50 ms'],
  publishP99Ms: ['<=', 20, 'ms', 'issue 31: publishEvent p99 ≤ 20 ms'],
  coldStartReceiveP99Ms: ['<=', 100, 'ms', 'issue 24 item 14 gives none: twice the steady receive p99'],
  fanOutMs: ['<=', 1000, 'ms', 'issue 8: one event to 1,000 endpoints within 1 s'],
  isolationRatio: ['<=', 2, '×', 'issue 8: the healthy endpoint p99 beside slow ones within 2× of alone'],
  isolationBesideP99Ms: ['<=', 50, 'ms', 'issue 24 item 6 gives none: the steady receive p99 at 500/s, at 30/s'],
  streamP99Ms: ['<=', 100, 'ms', 'issue 8: stream p99 ≤ 100 ms'],
  none: ['==', 0, '', 'issue 8 and 24: none missing, none twice, none undelivered'],
  readPathMs: ['<=', 20, 'ms', 'issue 8: dashboard reads ≤ 20 ms with 1M events'],
  yes: ['==', 1, '', 'issue 8: index scans only'],
  rssMB: ['<=', 300, 'MB', 'issue 31: RSS ≤ 300 MB'],
  rssGrowthPercent: ['<', 10, '%', 'issue 8: last minute of the soak < 10 % above the first'],
  scaleOutRatio: ['>', 1, '×', 'issue 8: two workers deliver more than one'],
};

describe('targets as the issues give them', () => {
  it('holds every target at its figure, in its unit, and no target without one', () => {
    const expected = Object.fromEntries(Object.entries(FROM_THE_ISSUES).map(([k, [op, value, unit]]) => [k, { op, value, unit }]));
    expect(TARGETS).toEqual(expected);
  });

  it('derives the bounds the issues leave open from the steady-state target', () => {
    expect(TARGETS.coldStartReceiveP99Ms.value).toBe(2 * TARGETS.receiveP99Ms.value);
    expect(TARGETS.isolationBesideP99Ms.value).toBe(TARGETS.receiveP99Ms.value);
  });

  it('holds bench:stats to 250 ms for stats and counts (issue 24 item 13), 100 ms for first pages', () => {
    expect(STATS_TARGET_MS).toEqual({ stats: 250, count: 250, page: 100 });
  });

  it('judges a figure only in its target’s unit: 300 MiB is not 300 MB', () => {
    expect(() => figure('m', 'm', 'MiB', 290, TARGETS.rssMB)).toThrow(/"MiB" but its target is in "MB"/);
    expect(passes(figure('m', 'm', 'MB', 300, TARGETS.rssMB))).toBe(true);
    expect(passes(figure('m', 'm', 'MB', 301, TARGETS.rssMB))).toBe(false);
  });
});

describe('command line', () => {
  it('runs every phase by default, in order', () => {
    expect(parseOptions([]).phases).toEqual(['raw', 'floor', 'throughput', 'latency', 'fanout', 'isolation', 'streams', 'scaleout', 'memory', 'size']);
  });

  it('runs the phases named by flag or --only, minus --skip', () => {
    expect(parseOptions(['--latency', '--fanout']).phases).toEqual(['latency', 'fanout']);
    expect(parseOptions(['--only', 'size,throughput']).phases).toEqual(['throughput', 'size']);
    expect(parseOptions(['--skip', 'size,memory']).phases).not.toContain('size');
    expect(() => parseOptions(['--only', 'speed'])).toThrow(/unknown phase "speed"/);
  });

  it('keeps the issue sizes in a full run and shortens them with --quick', () => {
    expect(parseOptions([]).settings.latency).toMatchObject({ rate: 500, durationMs: 30_000 });
    expect(parseOptions([]).settings.size.events).toBe(1_000_000);
    expect(parseOptions(['--quick']).settings.memory.durationMs).toBeLessThan(300_000);
  });
});
