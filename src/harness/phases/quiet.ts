// "Quiet": what the drain-time checks would say of one sample, judged against the baseline. The baseline
// settles on it, the drain waits for it, the verdict names it when a slow settler missed it.
import { childrenDrained } from '../checks/children-drained.js';
import { fdsDrained } from '../checks/fds-drained.js';
import { noZombies } from '../checks/no-zombies.js';
import { socketsDrained } from '../checks/sockets-drained.js';
import type { RunObservations, Tolerances } from '../checks/observations.js';
import type { Sampler } from '../probes/sampler.js';
import type { Sample } from '../probes/types.js';

export const QUIET_CHECKS = [childrenDrained, noZombies, fdsDrained, socketsDrained];

/** Quiet = the drain-time checks would pass on this sample. */
export function isQuiet(obs: RunObservations): boolean {
  return QUIET_CHECKS.every((c) => c.evaluate(obs).pass);
}

/** The observations a drain-time check needs, with `sample` as the after-drain state (its state alone is judged). */
export function asDrained(base: Omit<RunObservations, 'afterDrain'>, sample: Sample): RunObservations {
  return { ...base, afterDrain: sample, zombieSpans: [] };
}

export const liveChildren = (s: Sample): number => s.tree.filter((p) => p.depth >= 1 && p.state !== 'Z').length;

/** Observations with only the baseline known yet: what the baseline and the drain judge a sample against. */
export function baseObservations(
  target: RunObservations['target'],
  baseline: Sample,
  tolerances: Tolerances,
  sampler: Sampler,
  drainMs: number,
): Omit<RunObservations, 'afterDrain' | 'baselineChildren'> {
  return {
    target,
    baseline,
    zombieSpans: [],
    descendantsSeen: 0,
    drain: { quiet: false, timeToQuietMs: null, deadlineMs: drainMs, extendedMs: 0, convergingAtEnd: false },
    orphansDuringRun: [],
    orphansAfterShutdown: [],
    shutdown: { signalAtMs: null, deadlineMs: 0, exit: null, diedEarly: false, leftovers: [], escalated: false },
    peaks: sampler.peaks(),
    maxChildrenSample: null,
    load: [],
    tolerances,
    firstSeen: (k) => sampler.firstSeen(k),
  };
}
