// origin-faults: requests through the proxy to an origin that misbehaves on purpose. Suite entry:
//   { "generator": "origin-faults", "cases": ["slow", "hang", …] (default all), "connections": 4,
//     "duration": "5s", "maxCases": 500, "timeout": "5s", "slowMs": 300, "hugeBytes": 4194304, "chunks": 16,
//     "hangWait": "5s", "expect": { "hang": [504] } }
// `hang` answers 504 only after the target's --upstream-timeout: suites using it set a short one. Against a plain
// server (--mode server) it runs nothing (extra.skipped = 1).
import { UsageError } from '../../util/errors.js';
import { caseGeneratorFromEntry } from './case-entry.js';
import type { GeneratorFactory } from './generator.js';
import { ORIGIN_FAULT_CASES, originFaultCases } from './origin-fault-cases.js';

// every case is proxy-only: against a plain server (no upstream to misbehave) the entry runs nothing
export const createOriginFaults: GeneratorFactory = (name, entry, defaults) =>
  caseGeneratorFromEntry(name, entry, defaults, {
    known: ORIGIN_FAULT_CASES,
    readOptions: (r) => ({
      slowMs: r.duration('slowMs', 300),
      hugeBytes: r.count('hugeBytes', 4 * 1024 * 1024, 0, 64 * 1024 * 1024),
      chunks: r.count('chunks', 16, 1, 1_000),
      hangWaitMs: r.duration('hangWait', 5_000),
    }),
    validate: (options, where) => {
      if (options.slowMs > 10_000) throw new UsageError(`${where}.slowMs must be at most 10s`);
    },
    build: originFaultCases,
  });
