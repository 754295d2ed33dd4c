// The suite-entry plumbing every scripted-case generator (abuse, origin-faults) shares: `cases` (default all),
// `expect` overrides, duration, connections, maxCases and timeout; the generator reads only its own options.
import { parseExpectOverrides } from './abuse-cases.js';
import { CaseGenerator, type Case, type Expectation } from './cases.js';
import { EntryReader } from './entry.js';
import { stringList, takeKeys } from './entry-extra.js';
import type { GeneratorDefaults } from './generator.js';

export interface CaseEntrySpec<O> {
  /** every case name, in the default order */
  known: string[];
  /** the generator's own keys (EntryReader flags every key nobody read) */
  readOptions(r: EntryReader): O;
  /** checks across options, after the unknown-key check */
  validate?(options: O, where: string): void;
  build(names: string[], options: O, expect: Record<string, Expectation[]>): Case[];
}

export function caseGeneratorFromEntry<O>(
  name: string,
  entry: Record<string, unknown>,
  defaults: GeneratorDefaults,
  spec: CaseEntrySpec<O>,
): CaseGenerator {
  const where = `load "${name}"`;
  const { taken, rest } = takeKeys(entry, ['cases', 'expect']);
  const r = new EntryReader(where, rest);
  const durationMs = r.duration('duration', defaults.durationMs);
  const connections = r.connections(defaults, Math.max(1, Math.min(defaults.connections, 4)), 64);
  const maxCases = r.count('maxCases', 1_000, 1, 100_000);
  const timeoutMs = r.duration('timeout', 5_000);
  const options = spec.readOptions(r);
  r.done();
  spec.validate?.(options, where);
  const names = stringList(`${where}.cases`, taken.cases, spec.known);
  const cases = spec.build(names, options, parseExpectOverrides(where, taken.expect, spec.known));
  return new CaseGenerator(name, cases, { durationMs, connections, maxCases, timeoutMs });
}
