// Clean matrix, part 2: inline, prefork, cluster and fork (see clean-cases.ts).
import t from 'tap';
import { CASES, runClean } from './clean-cases.js';

await runClean(
  t,
  CASES.filter((c) => c.strategy !== 'per-connection'),
);
