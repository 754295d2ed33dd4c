// Clean matrix, part 1: per-connection in each handoff mode (see clean-cases.ts).
import t from 'tap';
import { CASES, runClean } from './clean-cases.js';

await runClean(
  t,
  CASES.filter((c) => c.strategy === 'per-connection'),
);
