// abuse: misbehaving clients (resets, half-close, slowloris, malformed and oversized input, CL+TE, garbage,
// vanishing), each judged against the answer it should get. Suite entry:
//   { "generator": "abuse", "cases": ["slowloris", …] (default all), "connections": 4, "duration": "5s",
//     "maxCases": 500, "timeout": "5s", "slowGap": "100ms", "slowBound": "12s", "bigHeader": 65536,
//     "responseBytes": 1048576, "expect": { "garbage": [400, "close"] } }
import { ABUSE_CASES, abuseCases } from './abuse-cases.js';
import { caseGeneratorFromEntry } from './case-entry.js';
import type { GeneratorFactory } from './generator.js';

export const createAbuse: GeneratorFactory = (name, entry, defaults) =>
  caseGeneratorFromEntry(name, entry, defaults, {
    known: ABUSE_CASES,
    readOptions: (r) => ({
      slowGapMs: r.duration('slowGap', 100),
      slowBoundMs: r.duration('slowBound', 12_000),
      bigHeaderBytes: r.count('bigHeader', 64 * 1024, 1, 1024 * 1024),
      responseBytes: r.count('responseBytes', 1024 * 1024, 1, 1024 * 1024),
    }),
    build: abuseCases,
  });
