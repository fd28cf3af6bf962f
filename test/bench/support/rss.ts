import { rssMB } from './children.ts';
import { now } from './clock.ts';

export interface RssSample {
  at: number;
  api: number;
  /** One per worker process. */
  workers: number[];
}

export interface RssSampler {
  samples: RssSample[];
  /** The highest RSS seen of the API and of any worker, in MB. */
  peak(): { api: number; worker: number };
  stop(): void;
}

/** Samples the API's and workers' VmRSS every `intervalMs` while a stack runs. */
export function sampleRss(apiPid: number, workerPids: number[], intervalMs = 1000): RssSampler {
  const samples: RssSample[] = [];
  const take = async () => {
    const [api, ...workers] = await Promise.all([apiPid, ...workerPids].map(rssMB));
    if (api !== undefined && workers.every((w) => w !== undefined)) samples.push({ at: now(), api, workers: workers as number[] });
  };
  void take();
  const timer = setInterval(() => void take(), intervalMs);
  return {
    samples,
    peak: () => ({
      api: Math.max(0, ...samples.map((s) => s.api)),
      worker: Math.max(0, ...samples.flatMap((s) => s.workers)),
    }),
    stop: () => clearInterval(timer),
  };
}
