// Every check, in report order (the DESIGN's check-id table).
import { CHECK_IDS, type CheckResult } from '../../model/report.js';
import type { Check } from './check.js';
import { childrenDrained } from './children-drained.js';
import { cleanShutdown } from './clean-shutdown.js';
import { errorBudget } from './error-budget.js';
import { fdsDrained } from './fds-drained.js';
import { handoffEof } from './handoff-eof.js';
import { maxChildren } from './max-children.js';
import { noOrphans } from './no-orphans.js';
import { noZombies } from './no-zombies.js';
import type { RunObservations } from './observations.js';
import { responsesCorrect } from './responses-correct.js';
import { socketsDrained } from './sockets-drained.js';

export const CHECKS: readonly Check[] = [
  responsesCorrect,
  errorBudget,
  handoffEof,
  childrenDrained,
  noZombies,
  noOrphans,
  fdsDrained,
  socketsDrained,
  maxChildren,
  cleanShutdown,
];

// every id of the contract has exactly one check
if (CHECKS.map((c) => c.id).join() !== CHECK_IDS.join()) throw new Error('checks/index.ts is out of step with CHECK_IDS');

export function evaluateAll(run: RunObservations): CheckResult[] {
  return CHECKS.map((c) => {
    try {
      return c.evaluate(run);
    } catch (err) {
      return { id: c.id, pass: false, summary: `check crashed: ${(err as Error).message}`, evidence: [] };
    }
  });
}
