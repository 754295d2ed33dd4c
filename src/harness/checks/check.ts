// The one shape every check has. `RunObservations` (observations.ts) is everything a run recorded.
import type { CheckId, CheckResult } from '../../model/report.js';
import type { RunObservations } from './observations.js';

export interface Check {
  readonly id: CheckId;
  /** one line: what passing means */
  readonly passesWhen: string;
  evaluate(run: RunObservations): CheckResult;
}
