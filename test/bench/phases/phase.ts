import type { Options, PhaseName } from '../options.ts';
import type { Figure } from '../support/figures.ts';
import type { Progress } from '../support/log.ts';
import type { Receiver } from '../support/receiver.ts';
import type { StackOptions } from '../support/stack.ts';

export interface PhaseContext {
  options: Options;
  receiver: Receiver;
  progress: Progress;
  stackOptions(label: string, extra?: Pick<StackOptions, 'workers' | 'env'>): StackOptions;
}

export interface PhaseResult {
  figures: Figure[];
  /** Everything else worth keeping in the JSON (raw summaries, plans, settings). */
  details: Record<string, unknown>;
}

export interface Phase {
  name: PhaseName;
  title: string;
  run(ctx: PhaseContext): Promise<PhaseResult>;
}
