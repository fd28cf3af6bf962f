import type { Options, PhaseName } from '../options.ts';
import type { Figure } from '../support/figures.ts';
import type { Progress } from '../support/log.ts';
import type { Receiver } from '../support/receiver.ts';
import type { StackOptions } from '../support/stack.ts';

export interface PhaseContext {
  options: Options;
  receiver: Receiver;
  progress: Progress;
  stackOptions(label: string, extra?: Pick<StackOptions, 'workers' | 'env' | 'warmUpEvents'>): StackOptions;
}

export interface PhaseResult {
  figures: Figure[];
  /** Everything else worth keeping in the JSON (raw summaries, plans, settings). */
  details: Record<string, unknown>;
  /**
   * Figures that can only be known later (duplicates, a lease length after a run completed): the
   * bench goes on with the next phases meanwhile and adds them to this phase's rows at the end.
   */
  later?: Promise<Omit<PhaseResult, 'later'>>;
}

export interface Phase {
  name: PhaseName;
  title: string;
  run(ctx: PhaseContext): Promise<PhaseResult>;
}
