// The CI gate over a finished run: waive known leaks (allow-list), evaluate thresholds, and recompute
// the verdict and exit code. Pure: the same report, config and clock give the same answer.
import { EXIT, type Report } from '../model/report.js';
import { applyAllowList, describeExpired, type AllowEntry } from './allow-list.js';
import { evaluateThresholds, type Threshold } from './thresholds.js';

export interface GateConfig {
  thresholds: Threshold[];
  allowList: AllowEntry[];
}

/**
 * Returns a new report with `allowedBy` marks, `thresholds` and `allowList` results, and verdict/exitCode
 * recomputed: 1 when a check fails unwaived, a threshold fails, or an allow-list entry has expired.
 * Exit codes 2 and 3 (the run itself could not happen) and an interrupted run are kept; an inconclusive run stays
 * inconclusive unless the gate fails it.
 */
export function applyGate(report: Report, gate: GateConfig, now: Date = new Date()): Report {
  const { checks, statuses } = applyAllowList(report.checks, gate.allowList, now);
  const gated: Report = { ...report, checks };
  delete gated.thresholds;
  delete gated.allowList;
  if (statuses.length) gated.allowList = statuses;
  // thresholds after the allow-list: failed_checks counts only unwaived failures
  if (gate.thresholds.length) gated.thresholds = evaluateThresholds(gated, gate.thresholds);
  const failed = gateFailures(gated).length > 0;
  if (report.exitCode === EXIT.usage || report.exitCode === EXIT.notStarted) {
    gated.exitCode = report.exitCode;
    gated.verdict = 'fail';
  } else if (report.verdict === 'interrupted') {
    // an interrupted run was never judged: the gate has nothing to add
  } else if (failed) {
    gated.exitCode = EXIT.fail;
    gated.verdict = 'fail';
  } else {
    // a failure waived or absent still leaves a run without its evidence floor inconclusive
    gated.exitCode = report.verdict === 'inconclusive' ? EXIT.inconclusive : EXIT.pass;
    gated.verdict = report.verdict === 'inconclusive' ? 'inconclusive' : 'pass';
  }
  return gated;
}

/** Why a gated report fails, one line each (empty when it passes). */
export function gateFailures(report: Report): string[] {
  const lines: string[] = [];
  for (const c of report.checks) if (!c.pass && !c.allowedBy) lines.push(`check ${c.id} failed: ${c.summary}`);
  for (const t of report.thresholds ?? []) {
    if (!t.pass) lines.push(`threshold ${t.metric} ${t.expr} failed: ${t.value === null ? 'no data' : `value ${t.value}`}`);
  }
  lines.push(...describeExpired(report.allowList ?? []));
  return lines;
}

/** The run's finalize step for a gate: applyGate when the gate says anything, the report as it is otherwise. */
export function gateFinalizer(gate: GateConfig): (report: Report) => Report {
  return gate.thresholds.length || gate.allowList.length ? (report) => applyGate(report, gate) : (report) => report;
}
