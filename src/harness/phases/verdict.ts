// The verdict and the report: the checks over the run's observations (a drain check that failed while the
// tree still converged says so), then the report: verdict from checks and evidence floor, load stats by
// generator, target facts, peaks and the timeline with its request rate.
import type { CheckResult, LoadStats, Phase, Report, TargetInfo } from '../../model/report.js';
import { EXIT } from '../../model/report.js';
import { evaluateAll } from '../checks/index.js';
import type { RunObservations, ShutdownObservation } from '../checks/observations.js';
import type { ProcessSnapshot } from '../probes/types.js';
import type { Drained } from './drain.js';
import type { LoadOutcome } from '../load/generator.js';
import type { Sampler } from '../probes/sampler.js';
import { reportHead, machineFacts, reportPeaks } from '../report-parts.js';
import { withRequestRate, type CountPoint } from '../request-rate.js';
import type { RunOptions } from '../run.js';
import type { Target } from '../target.js';
import { QUIET_CHECKS } from './quiet.js';

/** What the checks judge: the baseline's observations completed with the drain, the shutdown and the load. */
export function runObservations(a: {
  base: Omit<RunObservations, 'afterDrain'>;
  drained: Drained;
  timeToQuietMs: number | null;
  loadEnd: number;
  drainEnd: number;
  drainMs: number;
  sampler: Sampler;
  orphansDuringRun: ProcessSnapshot[];
  shutdown: ShutdownObservation;
  outcomes: LoadOutcome[];
}): RunObservations {
  const { drained, sampler: smp } = a;
  return {
    ...a.base,
    afterDrain: drained.sample,
    zombieSpans: smp.zombieSpans(),
    descendantsSeen: smp.descendantsSeen(),
    drain: {
      quiet: drained.quietAt !== null,
      timeToQuietMs: a.timeToQuietMs,
      deadlineMs: a.drainMs,
      extendedMs: Math.max(0, Math.round(a.drainEnd - a.loadEnd - a.drainMs)),
      convergingAtEnd: drained.converging,
    },
    orphansDuringRun: a.orphansDuringRun,
    orphansAfterShutdown: a.shutdown.leftovers.filter((p) => p.depth === -1),
    shutdown: a.shutdown,
    peaks: smp.peaks(),
    maxChildrenSample: smp.maxChildrenSample(),
    load: a.outcomes,
  };
}

export function judge(observations: RunObservations): CheckResult[] {
  return withSettleHint(evaluateAll(observations), observations.drain);
}

/**
 * A drain check that failed while the tree was still converging to rest says so and names --drain: a slow but
 * monotone return (one idle child retired a second) is a settling time to give, not necessarily a leak.
 */
function withSettleHint(checks: CheckResult[], drain: RunObservations['drain']): CheckResult[] {
  if (drain.quiet || !drain.convergingAtEnd) return checks;
  const ids = new Set(QUIET_CHECKS.map((c) => c.id));
  const waited = drain.deadlineMs + drain.extendedMs;
  const hint = `; still converging toward rest when the drain ended ${waited} ms after load (the --drain deadline plus its extension): a slow settler? a longer --drain lets it finish`;
  return checks.map((c) => (!c.pass && ids.has(c.id) ? { ...c, summary: c.summary + hint } : c));
}

export function buildReport(a: {
  opts: RunOptions;
  runId: string;
  startedAt: Date;
  target: Target;
  phases: Phase[];
  checks: CheckResult[];
  outcomes: LoadOutcome[];
  timeToQuietMs: number | null;
  sampler: Sampler;
  shutdown: ShutdownObservation;
  requestCounts: CountPoint[];
  evidenceFloor: Omit<NonNullable<Report['evidenceFloor']>, 'met'>;
}): Report {
  const pass = a.checks.every((c) => c.pass);
  const met = a.evidenceFloor.generators.every((g) => g.count >= g.floor);
  // a failure found on little evidence is still a failure; a pass on too little is not a pass
  const verdict = !pass ? 'fail' : met ? 'pass' : 'inconclusive';
  const load: Record<string, LoadStats> = {};
  // outcomes come in the suite's order: each entry's type goes with its stats (latency thresholds read it)
  a.outcomes.forEach((o, i) => {
    const kind = a.opts.suite.load[i]?.generator;
    load[o.stats.generator] = typeof kind === 'string' ? { ...o.stats, kind } : o.stats;
  });
  const spec = a.opts.target;
  const pool = a.target.pool;
  const targetInfo: TargetInfo = {
    kind: a.target.kind,
    mode: a.opts.mode,
    command: a.target.argv,
    pid: a.target.pid,
    port: a.target.port,
    // an undeclared cap (command target) is reported as -1
    pool: pool ? { resident: pool.resident, cap: Number.isFinite(pool.cap) ? pool.cap : -1 } : null,
    ...(spec.kind === 'reference-proxy' ? { options: { ...spec.proxy } as Record<string, unknown> } : {}),
    exit: a.shutdown.exit
      ? { code: a.shutdown.exit.code, signal: a.shutdown.exit.signal, afterMs: a.shutdown.exit.afterMs }
      : { code: null, signal: null, afterMs: null },
  };
  const seenBy = a.target.exitSeenBy;
  const attach =
    spec.kind === 'command' && spec.attach
      ? { pid: spec.attach.pid, shutdown: spec.attach.shutdown, ...(seenBy ? { exitSeenBy: seenBy } : {}) }
      : undefined;
  return {
    ...reportHead(a.runId, a.startedAt),
    verdict,
    exitCode: EXIT[verdict],
    target: targetInfo,
    suite: a.opts.suite.name,
    strategy: a.opts.strategy,
    fault: a.opts.fault,
    phases: a.phases,
    checks: a.checks,
    load,
    peaks: reportPeaks(a.sampler),
    timeToQuietMs: a.timeToQuietMs,
    timeline: withRequestRate(a.sampler.timeline, a.requestCounts).map((p) => ({ ...p, t: Math.round(p.t) })),
    machine: machineFacts(),
    evidenceFloor: { met, ...a.evidenceFloor },
    ...(attach ? { attach } : {}),
    ...(a.target.kind === 'command'
      ? { protocol: { gated: a.opts.strictProtocol === true, findings: a.outcomes.flatMap((o) => o.protocol ?? []) } }
      : {}),
  };
}
