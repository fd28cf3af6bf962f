// The bench's pure parts: how figures are computed and judged, and which phases a command line runs.
import { describe, expect, it } from 'vitest';
import { parseOptions } from './options.ts';
import { figure, passes, TARGETS } from './support/figures.ts';
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
    expect(passes(figure('a', 'a', '/s', 3))).toBeUndefined();
  });
});

describe('command line', () => {
  it('runs every phase by default, in order', () => {
    expect(parseOptions([]).phases).toEqual(['raw', 'throughput', 'latency', 'fanout', 'isolation', 'streams', 'memory', 'scaleout', 'size']);
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
