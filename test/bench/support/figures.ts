export type Op = '<=' | '>=' | '<' | '>' | '==';

export interface Target {
  op: Op;
  value: number;
}

/** One measured number, with the target when it has one. */
export interface Figure {
  key: string;
  label: string;
  unit: string;
  value: number;
  target?: Target;
  /** How the number was taken, when the label alone does not say. */
  note?: string;
}

/** Targets of issue 8, in one place; never lowered to what the code reaches. */
export const TARGETS = {
  /** End-to-end deliveries/s as a share of the raw ceiling, in %. */
  throughputShare: { op: '>=', value: 50 },
  receiveP50Ms: { op: '<=', value: 10 },
  receiveP99Ms: { op: '<=', value: 50 },
  publishP99Ms: { op: '<=', value: 20 },
  fanOutMs: { op: '<=', value: 1000 },
  isolationRatio: { op: '<=', value: 2 },
  streamP99Ms: { op: '<=', value: 100 },
  none: { op: '==', value: 0 },
  readPathMs: { op: '<=', value: 20 },
  yes: { op: '==', value: 1 },
  rssMiB: { op: '<=', value: 300 },
  rssGrowthPercent: { op: '<', value: 10 },
  scaleOutRatio: { op: '>', value: 1 },
} satisfies Record<string, Target>;

export function figure(key: string, label: string, unit: string, value: number, target?: Target, note?: string): Figure {
  return { key, label, unit, value, target, note };
}

/** Whether a figure meets its target; undefined when it has none. NaN (not measured) never passes. */
export function passes(f: Figure): boolean | undefined {
  if (!f.target) return undefined;
  const { op, value } = f.target;
  const v = f.value;
  if (Number.isNaN(v)) return false;
  switch (op) {
    case '<=':
      return v <= value;
    case '>=':
      return v >= value;
    case '<':
      return v < value;
    case '>':
      return v > value;
    case '==':
      return v === value;
  }
}
