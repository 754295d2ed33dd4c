// Canary matrix, part 2: faults of inline, prefork, cluster and fork (see canary-cases.ts).
import t from 'tap';
import { CASES, runCanaries } from './canary-cases.js';
import { forkUnavailableReason } from '../fork/addon-available.js';

await runCanaries(
  t,
  CASES.filter((c) => c.strategy !== 'per-connection'),
  (c) => (c.strategy === 'fork' ? forkUnavailableReason() : null),
);
