// What every phase of a run may use once the target runs: the run's clock, its interruptible wait, the
// sampler, the target and the origin, the suite's tolerances. run.ts builds it once after the start.
import type { RunObservations, Tolerances } from '../checks/observations.js';
import type { Origin } from '../origin/server.js';
import type { Sampler } from '../probes/sampler.js';
import type { Suite } from '../suite.js';
import type { Target } from '../target.js';

export interface RunScope {
  suite: Suite;
  /** ms since the run started */
  clock: () => number;
  /** the run's wait: ends at once (throwing) when the run is interrupted */
  wait: (ms: number) => Promise<void>;
  sampler: Sampler;
  target: Target;
  origin: Origin;
  targetFacts: RunObservations['target'];
  tolerances: Tolerances;
  drainMs: number;
}
