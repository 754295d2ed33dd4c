// Canary matrix, part 1: the per-connection strategy's faults (see canary-cases.ts).
import t from 'tap';
import { CASES, runCanaries } from './canary-cases.js';

await runCanaries(
  t,
  CASES.filter((c) => c.strategy === 'per-connection'),
);
