/** Latency figures of one measurement. Values never observed (lost, or later than the wait) count as Infinity. */
export interface Summary {
  count: number;
  missing: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Summarizes `values`; `missing` more samples are counted as never arriving (Infinity). */
export function summarize(values: number[], missing = 0): Summary {
  const sorted = [...values, ...Array<number>(Math.max(0, missing)).fill(Infinity)].sort((a, b) => a - b);
  const finite = values.filter(Number.isFinite);
  const mean = finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : Number.NaN;
  return {
    count: values.length,
    missing: Math.max(0, missing),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    mean,
  };
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export const round = (value: number, digits = 1): number => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);
