// Assembles comparison.json from the runs (pure: the caller supplies the clock and machine facts).
import { EXIT, type Report } from '../model/report.js';
import { comparisonExitCode, latencyGenerator, representativeRun, summarizeTarget, timelineOf } from './aggregate.js';
import { COMPARISON_SCHEMA, type CompareRun, type Comparison, type TargetSpecSummary } from './types.js';

export interface ComparisonParts {
  id: string;
  version: string;
  startedAt: string;
  finishedAt: string;
  suite: string;
  mode: 'proxy' | 'server';
  overrides: Comparison['overrides'];
  repeat: number;
  targets: readonly TargetSpecSummary[];
  /** in execution order */
  runs: CompareRun[];
  /** each measured run's report, by its order */
  reports: ReadonlyMap<number, Report>;
  machine: Comparison['machine'];
}

export function buildComparison(p: ComparisonParts): Comparison {
  const timelines = p.targets.flatMap((spec) => {
    const rep = representativeRun(spec.label, p.runs);
    const report = rep ? p.reports.get(rep.order) : undefined;
    return report ? [timelineOf(spec.label, report)] : [];
  });
  const exitCode = comparisonExitCode(p.runs);
  const latencyFrom = latencyGenerator(p.runs);
  return {
    schema: COMPARISON_SCHEMA,
    kind: 'handoff-comparison',
    tool: { name: 'handoff', version: p.version },
    id: p.id,
    startedAt: p.startedAt,
    finishedAt: p.finishedAt,
    suite: p.suite,
    mode: p.mode,
    overrides: p.overrides,
    repeat: p.repeat,
    latencyFrom,
    verdict: exitCode === EXIT.pass ? 'pass' : exitCode === EXIT.inconclusive ? 'inconclusive' : 'fail',
    exitCode,
    targets: p.targets.map((spec) => summarizeTarget(spec, p.runs, latencyFrom)),
    runs: p.runs,
    timelines,
    machine: p.machine,
  };
}
