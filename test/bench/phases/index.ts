import type { PhaseName } from '../options.ts';
import type { Phase } from './phase.ts';
import { fanoutPhase } from './fanout.ts';
import { floorPhase } from './floor.ts';
import { isolationPhase } from './isolation.ts';
import { latencyPhase } from './latency.ts';
import { memoryPhase } from './memory.ts';
import { rawPhase } from './raw.ts';
import { scaleoutPhase } from './scaleout.ts';
import { sizePhase } from './size.ts';
import { streamsPhase } from './streams.ts';
import { throughputPhase } from './throughput.ts';

export const PHASES: Record<PhaseName, Phase> = {
  raw: rawPhase,
  floor: floorPhase,
  throughput: throughputPhase,
  latency: latencyPhase,
  fanout: fanoutPhase,
  isolation: isolationPhase,
  streams: streamsPhase,
  memory: memoryPhase,
  scaleout: scaleoutPhase,
  size: sizePhase,
};
