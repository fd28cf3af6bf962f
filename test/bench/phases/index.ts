import type { PhaseName } from '../options.ts';
import type { Phase } from './phase.ts';
import { rawPhase } from './raw.ts';
import { throughputPhase } from './throughput.ts';

export const PHASES: Record<PhaseName, Phase> = {
  raw: rawPhase,
  throughput: throughputPhase,
} as Record<PhaseName, Phase>;
