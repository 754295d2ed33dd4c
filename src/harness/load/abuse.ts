// abuse: misbehaving clients (resets, half-close, slowloris, malformed and oversized input, CL+TE, garbage,
// vanishing), each judged against the answer it should get. Suite entry:
//   { "generator": "abuse", "cases": ["slowloris", …] (default all), "connections": 4, "duration": "5s",
//     "maxCases": 500, "timeout": "5s", "slowGap": "100ms", "slowBound": "12s", "bigHeader": 65536,
//     "responseBytes": 1048576, "expect": { "garbage": [400, "close"] } }
import { EntryReader } from './entry.js';
import { stringList, takeKeys } from './entry-extra.js';
import { ABUSE_CASES, abuseCases, parseExpectOverrides } from './abuse-cases.js';
import { CaseGenerator } from './cases.js';
import type { GeneratorFactory } from './generator.js';

export const createAbuse: GeneratorFactory = (name, entry, defaults) => {
  const where = `load "${name}"`;
  const { taken, rest } = takeKeys(entry, ['cases', 'expect']);
  const r = new EntryReader(where, rest);
  const durationMs = r.duration('duration', defaults.durationMs);
  const connections = r.count('connections', Math.max(1, Math.min(defaults.connections, 4)), 1, 64);
  const maxCases = r.count('maxCases', 1_000, 1, 100_000);
  const timeoutMs = r.duration('timeout', 5_000);
  const options = {
    slowGapMs: r.duration('slowGap', 100),
    slowBoundMs: r.duration('slowBound', 12_000),
    bigHeaderBytes: r.count('bigHeader', 64 * 1024, 1, 1024 * 1024),
    responseBytes: r.count('responseBytes', 1024 * 1024, 1, 1024 * 1024),
  };
  r.done();
  const names = stringList(`${where}.cases`, taken.cases, ABUSE_CASES);
  const cases = abuseCases(names, options, parseExpectOverrides(where, taken.expect, ABUSE_CASES));
  return new CaseGenerator(name, cases, { durationMs, connections, maxCases, timeoutMs });
};
