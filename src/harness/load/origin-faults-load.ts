// origin-faults: requests through the proxy to an origin that misbehaves on purpose. Suite entry:
//   { "generator": "origin-faults", "cases": ["slow", "hang", …] (default all), "connections": 4,
//     "duration": "5s", "maxCases": 500, "timeout": "5s", "slowMs": 300, "hugeBytes": 4194304, "chunks": 16,
//     "hangWait": "5s", "expect": { "hang": [504] } }
// `hang` answers 504 only after the target's --upstream-timeout: suites using it set a short one. Against a plain
// server (--mode server) it runs nothing (extra.skipped = 1).
import { UsageError } from '../../util/errors.js';
import { EntryReader } from './entry.js';
import { stringList, takeKeys } from './entry-extra.js';
import { parseExpectOverrides } from './abuse-cases.js';
import { CaseGenerator, type Case } from './cases.js';
import type { GeneratorFactory } from './generator.js';
import { ORIGIN_FAULT_CASES, originFaultCases } from './origin-fault-cases.js';


export const createOriginFaults: GeneratorFactory = (name, entry, defaults) => {
  const where = `load "${name}"`;
  const { taken, rest } = takeKeys(entry, ['cases', 'expect']);
  const r = new EntryReader(where, rest);
  const durationMs = r.duration('duration', defaults.durationMs);
  const connections = r.count('connections', Math.max(1, Math.min(defaults.connections, 4)), 1, 64);
  const maxCases = r.count('maxCases', 1_000, 1, 100_000);
  const timeoutMs = r.duration('timeout', 5_000);
  const options = {
    slowMs: r.duration('slowMs', 300),
    hugeBytes: r.count('hugeBytes', 4 * 1024 * 1024, 0, 64 * 1024 * 1024),
    chunks: r.count('chunks', 16, 1, 1_000),
    hangWaitMs: r.duration('hangWait', 5_000),
  };
  r.done();
  if (options.slowMs > 10_000) throw new UsageError(`${where}.slowMs must be at most 10s`);
  const names = stringList(`${where}.cases`, taken.cases, ORIGIN_FAULT_CASES);
  const cases: Case[] = originFaultCases(names, options, parseExpectOverrides(where, taken.expect, ORIGIN_FAULT_CASES));
  // every case is proxy-only: against a plain server (no upstream to misbehave) the entry runs nothing
  return new CaseGenerator(name, cases, { durationMs, connections, maxCases, timeoutMs });
};
